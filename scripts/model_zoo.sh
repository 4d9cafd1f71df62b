#!/usr/bin/env bash
# The model zoo from a result grid (scripts/reproduce.sh): for every budget of the grid, its
# searched subnet (best_subnet.json) as <models dir>/<budget>.json, and <models dir>/README.md
# with the grid's figures for it (with the supernet's weights and fine-tuned) and the command
# that exports it to firmware.
#   scripts/model_zoo.sh [grid dir (default out/reproduce)] [models dir (default models/fmnist)]
set -euo pipefail
cd "$(dirname "$0")/.."
grid=${1:-out/reproduce}
models=${2:-models/fmnist}
table="$grid/results.md"
[ -f "$table" ] || { echo "model_zoo.sh: $table: no result grid (run scripts/reproduce.sh)" >&2; exit 1; }
mkdir -p "$models"
read -r started_on started_at < "$grid/started.txt"
# field <row> <n>: the n-th cell of a markdown table row, trimmed.
field() { awk -F'|' -v n="$2" '{gsub(/^ +| +$/, "", $(n + 1)); print $(n + 1)}' <<<"$1"; }
{
  echo "# Model zoo: Fashion-MNIST on the stm32f746 profile"
  echo
  echo "The searched subnet of every budget of the result grid in [docs/results.md](../../docs/results.md)"
  echo "(\`scripts/reproduce.sh\`, started on $started_on at commit $started_at), copied here by"
  echo "\`bash scripts/model_zoo.sh\`. Figures from that run: int8 accuracy of the engine on all 10,000 test"
  echo "images, with the supernet's weights (batch norm recalibrated) and fine-tuned for 5 epochs;"
  echo "latency measured in the firmware (QEMU, 216 MHz) by the engine of that run (later engines may"
  echo "be faster: export again to measure); peak SRAM of the patch-based plan."
  echo
  echo "Export one to firmware (model file, generated C, firmware run in QEMU, int8 accuracy):"
  echo
  echo '```sh'
  echo "./build/bin/nas_search --config configs/search_fmnist_zoo.json --subnet models/fmnist/<model>.json \\"
  echo "    <its budget flags> [--finetune-epochs 5] --out-dir out/zoo/<model>"
  echo '```'
  echo
  echo "| model | budget flags | subnet | MACs (M) | peak SRAM (kB) | flash (kB) | latency (ms) | int8, supernet weights | int8, fine-tuned |"
  echo "|---|---|---|---|---|---|---|---|---|"
} > "$models/README.md.tmp"
count=0
while IFS= read -r row; do
  label=$(field "$row" 1)
  if [[ $label =~ ^SRAM\ ([0-9]+)\ kB,\ flash\ ([0-9]+)\ kB$ ]]; then
    name="sram${BASH_REMATCH[1]}_flash${BASH_REMATCH[2]}"
    flags="--sram-kb ${BASH_REMATCH[1]} --flash-kb ${BASH_REMATCH[2]} --no-latency-budget"
  elif [[ $label =~ ^latency\ ([0-9]+)\ ms$ ]]; then
    name="latency${BASH_REMATCH[1]}"
    flags="--latency-ms ${BASH_REMATCH[1]}"
  else
    continue
  fi
  run="$grid/runs/$(tr ' ,' '__' <<<"$label")-searched"
  [ -f "$run/best_subnet.json" ] || continue
  cp "$run/best_subnet.json" "$models/$name.json"
  finetuned=$(grep -F "| $label | finetuned |" "$table" | head -1 || true)
  tuned=$([ -n "$finetuned" ] && field "$finetuned" 7 | sed 's/ (10000)//' || echo "not run")
  echo "| [$name]($name.json) | \`$flags\` | $(field "$row" 3) | $(field "$row" 4) | $(field "$row" 5) | $(field "$row" 6) | $(field "$row" 9) | $(field "$row" 7 | sed 's/ (10000)//') | $tuned |" >> "$models/README.md.tmp"
  count=$((count + 1))
done < <(grep -E '^\| [^|]+ \| searched \| r[0-9]' "$table")
mv "$models/README.md.tmp" "$models/README.md"
echo "model_zoo.sh: $count models in $models"
