#!/usr/bin/env bash
# provenance.sh [supernet config] [checkpoint dir]: measures a finished supernet and writes
# <checkpoint dir>/provenance.json: the accuracies of its largest and smallest subnets (validation,
# test on all images and on the first 1,000, float and int8 engine on all test images) with the
# commands that measured them, the training's wall time summed from train.log, the machine's
# cores, and the commits recorded in <checkpoint dir>/training_commits.txt (one "commit note"
# line per training run). The checkpoint must be finished (all phases done).
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-configs/supernet_fmnist_full.json}
dir=${2:-supernets/fmnist_full}
out=out/provenance
mkdir -p "$out"
# Measured on a copy: the checkpoint directory stays untouched (nas_train locks it).
rm -rf "$out/checkpoint" && mkdir -p "$out/checkpoint"
cp "$dir/checkpoint.pt" "$dir/checkpoint.pt.manifest.json" "$out/checkpoint/"
evaluate="./build/bin/nas_train --config $config --checkpoint-dir $out/checkpoint --resume --stop-after-epochs 0 --evaluate --test"
$evaluate | tee "$out/evaluate.log"
grep -q "all phases done" "$out/evaluate.log" || { echo "provenance: $dir holds an unfinished training" >&2; exit 1; }
for which in largest smallest; do
  export_cmd="./build/bin/nas_train --config $config --checkpoint-dir $out/checkpoint --resume --stop-after-epochs 0 --export $which --test-images 0 --out-dir $out/$which"
  $export_cmd | tee "$out/export_$which.log"
done
field() { grep -E "$1" "$2" | head -1 | grep -oE "$3" | grep -oE '[0-9]+\.[0-9]+' | head -1; }
# subnet_json <largest|smallest>: its figures from the evaluation and its export (percent).
subnet_json() {
  local line="^$1 +subnet:"
  printf '{\n    "validation_accuracy": %s,\n    "test_accuracy": %s,\n    "test_accuracy_first_1000": %s,\n' \
    "$(field "$line validation" "$out/evaluate.log" 'accuracy [0-9.]+%')" \
    "$(field "$line test" "$out/evaluate.log" 'accuracy [0-9.]+%')" \
    "$(field "$line test" "$out/evaluate.log" '[0-9.]+% on the first')"
  printf '    "float_test_accuracy_export": %s,\n    "int8_test_accuracy": %s\n  }' \
    "$(field '^export' "$out/export_$1.log" 'float [0-9.]+%')" \
    "$(field '^export' "$out/export_$1.log" 'int8 engine [0-9.]+%')"
}
# Wall time: the span of each run in train.log (from its thread line to its last checkpoint).
wall_s=$(awk '
  function secs(t) { split(substr(t, 2, 8), a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
  / LibTorch threads/ { if (start != "") total += span(start, last); start = secs($1); last = start }
  / checkpoint / { last = secs($1) }
  function span(a, b) { return b >= a ? b - a : b + 86400 - a }
  END { if (start != "") total += span(start, last); print total }' "$dir/train.log")
commits=$(sed 's/"/\\"/g; s/.*/    "&"/' "$dir/training_commits.txt" | paste -sd, -)
cat > "$dir/provenance.json" <<JSON
{
  "supernet_config": "$config",
  "command": "./build/bin/nas_train --config $config",
  "resume_command": "./build/bin/nas_train --config $config --resume",
  "training_commits": [
$commits
  ],
  "training_wall_time_hours": $(awk -v s="$wall_s" 'BEGIN { printf "%.2f", s / 3600 }'),
  "cores": $(nproc),
  "measured": {
    "date": "$(date -u +%Y-%m-%d)",
    "commit": "$(git rev-parse --short HEAD)",
    "evaluate_command": "$evaluate",
    "export_command": "./build/bin/nas_train --config $config --resume --stop-after-epochs 0 --export {largest,smallest} --test-images 0"
  },
  "largest": $(subnet_json largest),
  "smallest": $(subnet_json smallest)
}
JSON
cat "$dir/provenance.json"
