#!/usr/bin/env bash
# MCUNet-style result grid: for every budget, the searched model against the space's MobileNetV2
# scaled to fit (mbv2), a plain 3x3-conv CNN trained from scratch to fit (cnn) and the searched
# model fine-tuned as MCUNet does (finetuned). Each row: int8 test accuracy, MACs, peak SRAM,
# flash, latency predicted by the LUT and measured in the firmware (QEMU), and the run's wall
# time. Plus an SVG of accuracy vs SRAM per method and the planner's peak-memory table.
#   scripts/reproduce.sh [search config] [hw profile] [nas_search options for every run...]
#   SRAM_KB="8 16" FLASH_KB="128" LATENCY_MS="" METHODS="searched mbv2" scripts/reproduce.sh
#   scripts/reproduce.sh configs/search_rgb32_quick.json hw_profiles/stm32f746.json \
#       --data folder:/path/to/images --supernet-dir out/supernet/my_images   # your own data
# Budgets: every SRAM_KB (default 8 16 32 64) x FLASH_KB (64 128 256) pair, then every LATENCY_MS
# (default 50 100) under the profile's SRAM and flash; the SRAM/flash rows have no latency
# budget. METHODS (default searched mbv2 cnn finetuned), BASELINE_EPOCHS (cnn, default 10),
# FINETUNE_EPOCHS (default 5), TEST_IMAGES (default 0: every test image).
# Writes $REPRODUCE_OUT/results.md and accuracy_vs_sram.svg (default out/reproduce; NO_BUILD=1
# skips the build). Resumable: a row whose log is complete is reused; delete the log to rerun.
# "finetuned" starts from the finished "searched" run of its budget (no second search).
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/search_fmnist_quick.json}
hw=${2:-hw_profiles/stm32f746.json}
shift $(( $# < 2 ? $# : 2 ))
extra=("$@")
out=${REPRODUCE_OUT:-out/reproduce}  # tests write elsewhere
sram_list=${SRAM_KB-8 16 32 64}
flash_list=${FLASH_KB-64 128 256}
latency_list=${LATENCY_MS-50 100}
methods=${METHODS:-searched mbv2 cnn finetuned}
mkdir -p "$out/logs" "$out/runs"
[ -n "${NO_BUILD:-}" ] || bash scripts/build.sh > "$out/build.log"
# The search config with the test set size of the table.
run_config="$out/search_config.json"
sed -E "s/\"test_images\": *[0-9]+/\"test_images\": ${TEST_IMAGES:-0}/" "$config" > "$run_config"

# run <budget label> <method> <budget options...>: one nas_search run, logged; 0 when complete.
run() {
  local label=$1 method=$2
  shift 2
  local name dir log
  name=$(tr ' ,' '__' <<<"$label")-$method
  dir="$out/runs/$name"
  log="$out/logs/$name.log"
  if [ -f "$log" ] && grep -q '^search took' "$log"; then return 0; fi
  local args=()
  case $method in
    searched) ;;
    mbv2) args=(--baseline mbv2) ;;
    cnn) args=(--baseline cnn --baseline-epochs "${BASELINE_EPOCHS:-10}") ;;
    finetuned)
      # The searched run's finished state: nas_search resumes it and only fine-tunes and exports.
      local searched="$out/runs/$(tr ' ,' '__' <<<"$label")-searched"
      [ -f "$searched/search_state.json" ] || { echo "no finished searched run for $label" > "$log"; return 1; }
      mkdir -p "$dir"
      cp "$searched/search_state.json" "$searched/search_state.json.manifest.json" "$dir/" 2>/dev/null || true
      args=(--finetune-epochs "${FINETUNE_EPOCHS:-5}") ;;
    *) echo "reproduce.sh: unknown method '$method'" >&2; exit 2 ;;
  esac
  echo "[$(date +%H:%M:%S)] $label: $method" >&2
  ./build/bin/nas_search --hw "$hw" --config "$run_config" --out-dir "$dir" "$@" "${args[@]}" \
    ${extra[@]+"${extra[@]}"} > "$log" 2>&1
}

# row <budget label> <method> <sram kB or -> <budget options...>: the table row (and the plot point).
row() {
  local label=$1 method=$2 sram=$3
  shift 3
  local log="$out/logs/$(tr ' ,' '__' <<<"$label")-$method.log"
  if ! run "$label" "$method" "$@"; then
    local why
    why=$(grep -o 'error: .*' "$log" | head -1 | cut -c8-90 || true)
    echo "| $label | $method | infeasible: ${why:-$(head -1 "$log" | cut -c1-80)} | | | | | | | |" >> "$table"
    return
  fi
  local winner test latency
  winner=$(grep '^winner:' "$log" | head -1)
  test=$(grep '^test accuracy' "$log")
  latency=$(grep '^latency: predicted' "$log" || true)
  local subnet macs peak flash_kb acc images predicted measured took
  subnet=$(sed -E 's/^winner: (r[0-9]+ w[0-9.]+).*/\1/' <<<"$winner")
  macs=$(sed -E 's/.* ([0-9.]+)M MACs.*/\1/' <<<"$winner")
  peak=$(sed -E 's/.*peak SRAM ([0-9.]+) kB.*/\1/' <<<"$winner")
  flash_kb=$(sed -E 's/.*, flash ([0-9.]+) kB.*/\1/' <<<"$winner")
  acc=$(sed -E 's/.*int8 engine ([0-9.]+)%.*/\1/' <<<"$test")
  images=$(sed -E 's/^test accuracy on ([0-9]+) images.*/\1/' <<<"$test")
  predicted=$(sed -nE 's/.*predicted ([0-9.]+) ms.*/\1/p' <<<"$latency")
  measured=$(sed -nE 's/.*measured ([0-9.]+) ms.*/\1/p' <<<"$latency")
  took=$(sed -nE 's/^search took ([0-9.]+) s.*/\1/p' "$log")
  echo "| $label | $method | $subnet | $macs | $peak | $flash_kb | $acc% ($images) | $predicted | $measured | $took |" >> "$table"
  [ "$sram" = - ] || echo "$method $sram $acc" >> "$points"
}

# The grid's commit and date are those of its first start; a resume at another commit is stated.
stamp="$out/started.txt"
[ -f "$stamp" ] || echo "$(date -u +%Y-%m-%d) $(git rev-parse --short HEAD)" > "$stamp"
read -r started_on started_at < "$stamp"
now_at=$(git rev-parse --short HEAD)
table="$out/results.md"
points="$out/points.txt"
: > "$points"
{
  echo "# Accuracy under MCU budgets ($hw, config $config${extra[*]+, ${extra[*]}})"
  echo
  echo "Printed by \`scripts/reproduce.sh\`, started on $started_on at commit $started_at$( \
    [ "$now_at" = "$started_at" ] || echo ", finished at commit $now_at (rows resumed)")."
  echo "Methods: searched (evolution on the supernet), mbv2 (the space's MobileNetV2 shape scaled in"
  echo "width and resolution to fit, supernet weights), cnn (plain 3x3-conv CNN, ${BASELINE_EPOCHS:-10} epochs from"
  echo "scratch), finetuned (the searched subnet trained on its own for ${FINETUNE_EPOCHS:-5} epochs). SRAM and flash"
  echo "rows have no latency budget; latency rows keep the profile's SRAM and flash. int8 accuracy on the"
  echo "test images counted in brackets; latency in ms (predicted by the LUT, measured in the firmware);"
  echo "wall time: nas_search's \"search took\" (for finetuned the fine-tuning and export after resuming"
  echo "the searched row's finished search)."
  echo
  echo "| budget | method | subnet | MACs (M) | peak SRAM (kB) | flash (kB) | int8 accuracy | predicted | measured | wall time (s) |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$table"
largest_flash=$(tr ' ' '\n' <<<"$flash_list" | sort -n | tail -1)
for sram in $sram_list; do
  for flash in $flash_list; do
    label="SRAM $sram kB, flash $flash kB"
    plot=-
    [ "$flash" = "$largest_flash" ] && plot=$sram  # the plot isolates SRAM at the largest flash
    for method in $methods; do
      row "$label" "$method" "$plot" --sram-kb "$sram" --flash-kb "$flash" --no-latency-budget
    done
  done
done
for ms in $latency_list; do
  for method in $methods; do
    row "latency $ms ms" "$method" - --latency-ms "$ms"
  done
done
bash scripts/plot_accuracy_vs_sram.sh "$points" > "$out/accuracy_vs_sram.svg"
{
  echo
  echo "Accuracy vs SRAM at flash $largest_flash kB: accuracy_vs_sram.svg"
  echo
  echo "## Peak memory of MobileNetV2 at 224x224 by planner mode"
  echo
  echo '```'
  ./build/bin/nas_memory --arch mbv2-w1.0 --resolution 224 --out-dir "$out/memory" | sed -n '/Peak SRAM/,/per_layer \//p'
  echo '```'
} >> "$table"
cat "$table"
