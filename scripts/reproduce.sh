#!/usr/bin/env bash
# MCUNet-style result tables on Fashion-MNIST: the searched model vs a scaled MobileNetV2 under
# several SRAM budgets (and one flash budget), plus the planner's peak-memory table.
#   scripts/reproduce.sh [search config] [hw profile] [nas_search options for every run...]
#   SRAM_KB="8 12 16 32" FLASH_KB=150 scripts/reproduce.sh
#   scripts/reproduce.sh configs/search_rgb32_quick.json hw_profiles/stm32f746.json \
#       --data folder:/path/to/images --supernet-dir out/supernet/my_images   # your own data
# The default budgets suit the Fashion-MNIST space, whose largest subnet needs 28.5 kB of SRAM
# (MCUNet's 16..128 kB are ImageNet-sized); no latency budget, so SRAM/flash alone decide.
# Writes out/reproduce/results.md (REPRODUCE_OUT: another directory; NO_BUILD=1: skip the build).
# Takes about 5 minutes per row on 2 cores with the quick
# config (plus the supernet training if no checkpoint exists).
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/search_fmnist_quick.json}
hw=${2:-hw_profiles/stm32f746.json}
shift $(( $# < 2 ? $# : 2 ))
extra=("$@")
out=${REPRODUCE_OUT:-out/reproduce}  # tests write elsewhere
mkdir -p "$out"
[ -n "${NO_BUILD:-}" ] || bash scripts/build.sh > "$out/build.log"
table="$out/results.md"
{
  echo "# Under SRAM / flash budgets ($hw, config $config${extra[*]+, ${extra[*]}})"
  echo
  echo "Accuracy is top-1 on test images; the baseline is the supernet's MobileNetV2-shaped subnet"
  echo "(kernel 3, expand 6, full depth) scaled in width and resolution to fit, evaluated with the"
  echo "same supernet weights (MCUNet trained its baselines from scratch)."
  echo
  echo "| budget | model | subnet | MACs | peak SRAM | flash | float acc | int8 acc |"
  echo "|---|---|---|---|---|---|---|---|"
} > "$table"
row() {  # row <label> <model> <nas_search args...>
  local label=$1 model=$2
  shift 2
  local log="$out/$(echo "$label-$model" | tr ' /' '__').log"
  if ! ./build/bin/nas_search --hw "$hw" --config "$config" --no-firmware --no-latency-budget \
      --out-dir "$out/runs/${label// /_}-$model" "$@" ${extra[@]+"${extra[@]}"} > "$log" 2>&1; then
    echo "| $label | $model | infeasible: $(grep -o 'error: .*' "$log" | head -1 | cut -c8-90) | | | | | |" >> "$table"
    return
  fi
  local winner test
  winner=$(grep '^winner:' "$log")
  test=$(grep '^test accuracy' "$log")
  echo "| $label | $model | $(sed -E 's/winner: (r[0-9]+ w[0-9.]+).*/\1/' <<<"$winner") | $(grep -oE '[0-9.]+M MACs' <<<"$winner") | $(grep -oE 'peak SRAM [0-9.]+ kB' <<<"$winner" | cut -c11-) | $(grep -oE 'flash [0-9.]+ kB' <<<"$winner" | head -1 | cut -c7-) | $(grep -oE 'float [0-9.]+%' <<<"$test" | cut -c7-) | $(grep -oE 'int8 engine [0-9.]+%' <<<"$test" | cut -c13-) |" >> "$table"
}
for kb in ${SRAM_KB:-8 12 16 32}; do
  row "SRAM ${kb} kB" searched --sram-kb "$kb" --restart
  row "SRAM ${kb} kB" mbv2 --sram-kb "$kb" --baseline mbv2
done
flash=${FLASH_KB:-150}
row "flash ${flash} kB" searched --flash-kb "$flash" --restart
row "flash ${flash} kB" mbv2 --flash-kb "$flash" --baseline mbv2
{
  echo
  echo "## Peak memory of MobileNetV2 at 224x224 by planner mode"
  echo
  echo '```'
  ./build/bin/nas_memory --arch mbv2-w1.0 --resolution 224 --out-dir "$out/memory" | sed -n '/Peak SRAM/,/per_layer \//p'
  echo '```'
} >> "$table"
cat "$table"
