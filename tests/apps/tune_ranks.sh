#!/usr/bin/env bash
# tune_ranks.sh <nas_tune> <model> <digits folder> <out dir>: nas_tune's contribution analysis
# split over two ranks on 127.0.0.1 writes the same analysis, run for run, as one process.
set -euo pipefail
tune=$1 model=$2 data=$3 out=$4
rm -rf "$out"
mkdir -p "$out"
common=(--model "$model" --data "folder:$data" --reinit-head --train-sram-kb 16 --steps 40 --analysis-steps 30
  --analysis-images 60 --eval-images 50 --master-addr 127.0.0.1 --dist-timeout 120)
"$tune" "${common[@]}" --out-dir "$out/one" > "$out/one.log" 2>&1 || { cat "$out/one.log"; exit 1; }
port=$((29700 + RANDOM % 200))
"$tune" "${common[@]}" --out-dir "$out/rank1" --world-size 2 --rank 1 --master-port "$port" > "$out/rank1.log" 2>&1 &
rank1=$!
"$tune" "${common[@]}" --out-dir "$out/two" --world-size 2 --rank 0 --master-port "$port" > "$out/rank0.log" 2>&1 ||
  { cat "$out/rank0.log"; exit 1; }
wait "$rank1" || { cat "$out/rank1.log"; exit 1; }
grep -q "78 on this rank" "$out/rank0.log" || { echo "tune_ranks: rank 0 did not run half of the 156 runs"; exit 1; }
cmp "$out/one/contributions.json" "$out/two/contributions.json"
[ ! -e "$out/rank1/contributions.json" ] || { echo "tune_ranks: rank 1 wrote a file"; exit 1; }
grep -E '^searched ' "$out/rank0.log"
echo "tune_ranks: two ranks wrote the one-process analysis"
