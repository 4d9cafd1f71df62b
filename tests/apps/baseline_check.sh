#!/usr/bin/env bash
# baseline_check.sh <nas_search> <config> <out dir> <sram kB>: the --baseline mbv2 winner is the
# space's MobileNetV2 shape (every block kernel 3, expand 6, every stage at full depth: 16
# blocks in fmnist) and fits the SRAM budget it was given.
set -u
search=$1 config=$2 out=$3 sram_kb=$4
rm -rf "$out"
output=$("$search" --hw hw_profiles/stm32f746.json --config "$config" --baseline mbv2 --sram-kb "$sram_kb" \
  --no-firmware --out-dir "$out" 2>&1) || { echo "$output"; exit 1; }
echo "$output" | tail -n 5
subnet="$out/best_subnet.json"
[ "$(grep -c '"kernel": 3' "$subnet")" = 16 ] || { echo "not 16 blocks of kernel 3"; exit 1; }
[ "$(grep -c '"expand": 6' "$subnet")" = 16 ] || { echo "not 16 blocks of expand 6"; exit 1; }
[ "$(grep -c '"kernel"' "$subnet")" = 16 ] || { echo "not full depth"; exit 1; }
sram=$(sed -n 's/^winner: .*peak SRAM \([0-9.]*\) kB.*/\1/p' <<<"$output")
[ -n "$sram" ] && awk -v s="$sram" -v b="$sram_kb" 'BEGIN { exit !(s <= b) }' || { echo "peak SRAM $sram kB over $sram_kb kB"; exit 1; }
grep -Eq 'float [0-9.]+%, int8 engine [0-9.]+%' <<<"$output" || { echo "no test accuracy line"; exit 1; }
