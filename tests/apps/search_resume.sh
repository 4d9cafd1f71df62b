#!/usr/bin/env bash
# search_resume.sh <nas_search> <config> <out dir>: a finished search run again over the same
# output directory resumes from its saved state and reports the same winner.
set -u
search=$1 config=$2 out=$3
rm -rf "$out"
first=$("$search" --hw hw_profiles/stm32f746.json --config "$config" --out-dir "$out" --no-firmware 2>&1) || { echo "$first"; exit 1; }
[ -f "$out/search_state.json" ] || { echo "no search_state.json"; exit 1; }
second=$("$search" --hw hw_profiles/stm32f746.json --config "$config" --out-dir "$out" --no-firmware 2>&1) || { echo "$second"; exit 1; }
echo "$second" | tail -n 6
grep -q "resuming the search from generation" <<<"$second" || { echo "did not resume"; exit 1; }
[ "$(grep '^winner:' <<<"$first")" = "$(grep '^winner:' <<<"$second")" ] || { echo "different winner after resume"; exit 1; }
for f in config_used.json search_log.json pareto.json best_subnet.json report.md accuracy_vs_sram.svg winner_memory.svg; do
  [ -s "$out/$f" ] || { echo "missing output $f"; exit 1; }
done
