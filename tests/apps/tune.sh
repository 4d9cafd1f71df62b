#!/bin/bash
# nas_tune fine-tunes the Fashion-MNIST winner (.tflite) with a sparse scheme and writes the
# trained model as .kmodel and .tflite with the scheme it used: the weights come back out. The
# trained .tflite differs from the original, nas_run reads both files back, and they give the
# same output; the written scheme trains the written .kmodel again. With --firmware the untuned
# model trains in the Cortex-M7 firmware (its FPU) in QEMU bit-exact with the host.
#   tune.sh NAS_TUNE NAS_RUN MODEL_TFLITE OUT_DIR
set -euo pipefail
nas_tune=$1 nas_run=$2 model=$3 out=$4
rm -rf "$out"
mkdir -p "$out"
"$nas_tune" --model "$model" --last-layers 2 --steps 200 --lr 0.05 --eval-images 300 --out-dir "$out/tuned" \
  --firmware --firmware-samples 2 > "$out/tune.log"
cat "$out/tune.log"
grep -qE '^training step +[0-9.]+ kB SRAM as the training firmware runs it' "$out/tune.log"
grep -qE '^accuracy +[0-9.]+% -> [0-9.]+% \(int8, host, 300 test images\)' "$out/tune.log"
grep -qE '^firmware .* 2 samples trained bit-exact with the host; [0-9]+ instructions per sample' "$out/tune.log"
grep -qE '^inference +[0-9]+ instructions' "$out/tune.log"
for f in model.kmodel model.tflite scheme.json; do test -s "$out/tuned/$f"; done
if cmp -s "$model" "$out/tuned/model.tflite"; then echo "FAIL: the trained .tflite equals the original"; exit 1; fi
head -c 784 /dev/zero > "$out/zeros.raw"
kmodel=$("$nas_run" --model "$out/tuned/model.kmodel" --input "$out/zeros.raw" | grep -E '^output  ')
tflite=$("$nas_run" --model "$out/tuned/model.tflite" --input "$out/zeros.raw" | grep -E '^output  ')
if [[ "$kmodel" != "$tflite" ]]; then echo "FAIL: .kmodel gives '$kmodel', .tflite '$tflite'"; exit 1; fi
"$nas_tune" --model "$out/tuned/model.kmodel" --scheme "$out/tuned/scheme.json" --steps 10 --eval-images 50 \
  --out-dir "$out/again" | grep -qE '^wrote '
