#!/usr/bin/env bash
# Data-parallel training throughput: one epoch of 30 steps (batch 128, the full recipe's
# sandwich phase with every dimension elastic; bench/data_parallel.json) in one process and over
# 2 ranks on this machine (scripts/launch_local.sh), with the images/s of each and the bytes
# each rank all-reduced per step. Ranks on one machine share its cores: the threads are split
# (THREADS, default 2, in all), so this measures the cost of data parallelism, not a speed-up.
#   bench/data_parallel.sh [nas_train] [max ranks]
set -euo pipefail
cd "$(dirname "$0")/.."
train=${1:-./build/bin/nas_train}
max_ranks=${2:-2}
threads=${THREADS:-2}
out=out/bench/data_parallel
echo "data-parallel supernet training, bench/data_parallel.json: $(nproc) cores, $threads threads in all"
echo "ranks  threads/rank  images/s  all-reduced per step and rank"
for ((ranks = 1; ranks <= max_ranks; ranks *= 2)); do
  per_rank=$(( threads / ranks > 0 ? threads / ranks : 1 ))
  rm -rf "$out"
  log=$(bash scripts/launch_local.sh "$ranks" "$train" --config bench/data_parallel.json --threads "$per_rank" 2>&1) || { echo "$log"; exit 1; }
  line=$(grep "data parallel:" <<<"$log" | head -1 || true)
  speed=$(grep -o '[0-9]* images/s' <<<"$log" | tail -1)
  reduced=$(sed -nE 's/.*, ([0-9.]+ kB) all-reduced per step.*/\1/p' <<<"$line")
  printf "%5d  %12d  %8s  %s\n" "$ranks" "$per_rank" "${speed% images/s}" "${reduced:-0 kB (one process)}"
done
