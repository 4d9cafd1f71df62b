#!/usr/bin/env bash
# dist_search.sh <nas_search> <config> <out dir>: the same search in one process and over two
# ranks (scripts/launch_local.sh) gives the same winner, its accuracy and the same log.
set -u
search=$1 config=$2 out=$3
rm -rf "$out"
one=$("$search" --hw hw_profiles/stm32f746.json --config "$config" --out-dir "$out/one" --no-firmware --threads 1 2>&1) || { echo "$one"; exit 1; }
two=$(bash scripts/launch_local.sh 2 "$search" --hw hw_profiles/stm32f746.json --config "$config" --out-dir "$out/two" \
      --no-firmware --threads 1 2>&1) || { echo "$two"; exit 1; }
grep '^\[rank 0\] winner:' <<<"$two" || { echo "$two"; exit 1; }
grep -q "rank 1: done: rank 0 exports the winner" <<<"$two" || { echo "rank 1 did not finish: $two"; exit 1; }
[ "$(grep '^winner:' <<<"$one")" = "$(grep '^\[rank 0\] winner:' <<<"$two" | cut -c10-)" ] || { echo "different winners"; exit 1; }
cmp "$out/one/best_subnet.json" "$out/two/best_subnet.json" || exit 1
cmp "$out/one/search_log.json" "$out/two/search_log.json" || { echo "different search logs"; exit 1; }
[ ! -e "$out/two/rank1" ] || exit 1
