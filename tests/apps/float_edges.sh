#!/bin/bash
# A .tflite with float32 input and output (nas_export --tflite-float-io) runs in nas_run on a raw
# float32 input: float zeros are quantized by the file's QUANTIZE to the input's zero point, so
# its int8 output equals that of the int8 file on an input of zero-point bytes (-128 for micro
# speech), and its DEQUANTIZE's floats are printed beside it. A value that is not a number is an
# error naming it.
#   float_edges.sh NAS_EXPORT NAS_RUN MICRO_SPEECH_TFLITE OUT_DIR
set -euo pipefail
nas_export=$1 nas_run=$2 model=$3 out=$4
rm -rf "$out"
mkdir -p "$out"
"$nas_export" --arch "$model" --no-firmware --tflite-float-io --out-dir "$out/export" | grep -E '^tflite .*\(float32 in and out\)$'
head -c $((1960 * 4)) /dev/zero > "$out/float_zeros.raw"
printf '\x80%.0s' $(seq 1960) > "$out/zero_points.raw"
float_run=$("$nas_run" --model "$out/export/model.tflite" --input "$out/float_zeros.raw")
int8_run=$("$nas_run" --model "$model" --input "$out/zero_points.raw")
echo "$float_run"
float_out=$(grep -E '^output  ' <<<"$float_run")
int8_out=$(grep -E '^output  ' <<<"$int8_run")
if [[ "$float_out" != "$int8_out" ]]; then
  echo "FAIL: float-edge file gives '$float_out', the int8 file '$int8_out'"
  exit 1
fi
grep -qE '^output \(float\) +[-0-9.e ]+$' <<<"$float_run" || { echo "FAIL: no float output line"; exit 1; }
{ head -c $((1959 * 4)) /dev/zero; printf '\x00\x00\xc0\x7f'; } > "$out/nan.raw"
if "$nas_run" --model "$out/export/model.tflite" --input "$out/nan.raw" > "$out/nan.log" 2>&1; then
  echo "FAIL: a NaN input was taken"
  exit 1
fi
grep -q "nan.raw: value 1959 is not a number" "$out/nan.log" || { echo "FAIL: $(cat "$out/nan.log")"; exit 1; }
echo "PASS: $float_out, and its float output printed; a NaN input is named"
