#!/usr/bin/env bash
# rgb_end_to_end.sh <make_image_folder> <nas_train> <nas_search> <nas_run> <nas_memory>: the whole pipeline on a
# generated 3-channel image folder (PNG and JPEG, two sizes, some grayscale) and a space file
# without num_classes: supernet training, search, int8 export, firmware in QEMU bit-exact with the
# host on a test image of the data set, nas_run on the exported model file, the winner's subnet
# file read back with its space file, and scripts/reproduce.sh on the same data and space.
set -euo pipefail
make_folder=$1 nas_train=$2 nas_search=$3 nas_run=$4 nas_memory=$5
out=build/test_out/rgb
rm -rf "$out" && mkdir -p "$out"
"$make_folder" "$out/images" 3 60
"$nas_train" --config tests/apps/rgb_train.json > "$out/train.log" 2>&1 || { tail -20 "$out/train.log"; exit 1; }
grep -E "largest +subnet: validation accuracy" "$out/train.log"
"$nas_search" --hw hw_profiles/stm32f746.json --config tests/apps/rgb_search.json > "$out/search.log" 2>&1 ||
  { tail -20 "$out/search.log"; exit 1; }
tail -12 "$out/search.log"
grep -q "bit-exact with the host" "$out/search.log" || { echo "rgb: firmware output not bit-exact"; exit 1; }
# Colour and stripes tell the classes apart: the int8 engine must have learned them (chance: 33%),
# which it only does with the training's normalisation and channel order.
grep -Eq "int8 engine (8[0-9]|9[0-9]|100)\.[0-9]+%" "$out/search.log" || { echo "rgb: int8 accuracy below 80%"; exit 1; }
# The report shows the winner per class, against the majority class, with the folder's names.
report="$out/search/stm32f746/report.md"
grep -q "^## Per-class test accuracy" "$report" || { echo "rgb: report.md has no per-class section"; exit 1; }
grep -Eq "Always answering the majority class \(.+, [0-9]+ images\) would score" "$report" ||
  { echo "rgb: report.md does not name the majority baseline"; exit 1; }
[ "$(grep -cE '^\| [0-2] [^|]+ \| [0-9]+ \| [0-9]+ \| [0-9.]+% \|$' "$report")" -eq 3 ] ||
  { echo "rgb: report.md lacks a row per class"; exit 1; }
grep -q "<rect" "$out/search/stm32f746/confusion_matrix.svg" || { echo "rgb: no confusion_matrix.svg"; exit 1; }
model=$(ls "$out"/search/stm32f746/export/*.kmodel | head -1)
"$nas_run" --model "$model" --data "folder:$out/images" --image 3 --firmware --out-dir "$out/run" | tee "$out/run.log"
grep -Eq "input [0-9]+x[0-9]+x3," "$out/run.log" || { echo "rgb: the exported model does not take 3 channels"; exit 1; }
grep -q "output bit-exact with the host's" "$out/run.log" || { echo "rgb: nas_run firmware not bit-exact"; exit 1; }
"$nas_memory" --arch "$out/search/stm32f746/best_subnet.json" --space tests/apps/rgb_space.json --num-classes 3 \
  --out-dir "$out/memory" | grep -E "^network|inplace"
# The result-table script on the same data and space: one budget, every method (one epoch each
# for the from-scratch CNN and the fine-tuning, which resumes the searched run), none infeasible,
# and the accuracy-vs-SRAM plot.
NO_BUILD=1 REPRODUCE_OUT="$out/reproduce" SRAM_KB=8 FLASH_KB=32 LATENCY_MS="" BASELINE_EPOCHS=1 FINETUNE_EPOCHS=1 \
  bash scripts/reproduce.sh tests/apps/rgb_search.json hw_profiles/stm32f746.json --space tests/apps/rgb_space.json \
  > "$out/reproduce.log" 2>&1 || { cat "$out/reproduce.log"; echo "rgb: reproduce.sh failed"; exit 1; }
rows='^\| SRAM 8 kB, flash 32 kB \| (searched|mbv2|cnn|finetuned) \| r[0-9]+ w'
grep -E "$rows" "$out/reproduce.log"
[ "$(grep -cE "$rows" "$out/reproduce.log")" -eq 4 ] || { cat "$out/reproduce.log"; echo "rgb: reproduce.sh rows missing"; exit 1; }
grep -q "resuming the search" "$out/reproduce/logs/SRAM_8_kB__flash_32_kB-finetuned.log" ||
  { echo "rgb: the fine-tuned row searched again instead of resuming the searched run"; exit 1; }
[ "$(grep -c "<polyline" "$out/reproduce/accuracy_vs_sram.svg")" -eq 4 ] || { echo "rgb: plot lines missing"; exit 1; }
echo "rgb end to end: ok"
