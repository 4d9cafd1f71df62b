#!/usr/bin/env bash
# Training throughput of nas_train when another CPU-bound process shares the cores: images/s of
# the largest-subnet step (r32, batch 128) alone and beside a neighbour, for 1 and 2 LibTorch
# threads and each OpenMP setting. A neighbour is either one busy loop (one core's worth of
# work) or a second nas_train with the same settings (both figures of that pair are printed).
#
#   bash bench/contention.sh [steps per epoch, default 10] [setting ...]
#
# A setting is "tool" (OMP_WAIT_POLICY and GOMP_SPINCOUNT unset: the tool applies its own
# choice, see apps/cli.h) or VAR=VALUE put into the environment, e.g. OMP_WAIT_POLICY=PASSIVE
# or GOMP_SPINCOUNT=10000. Default: tool, OMP_WAIT_POLICY=ACTIVE, OMP_WAIT_POLICY=PASSIVE.
set -euo pipefail
cd "$(dirname "$0")/.."
steps=${1:-10}
shift || true
settings=("$@")
if [ ${#settings[@]} -eq 0 ]; then settings=(tool OMP_WAIT_POLICY=ACTIVE OMP_WAIT_POLICY=PASSIVE); fi
bin=build/bin
work=$(mktemp -d)
neighbour=""
cleanup() {
  if [ -n "$neighbour" ]; then kill "$neighbour" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

cat > "$work/config.json" <<EOF
{
  "schema_version": 1, "space": "fmnist", "data": "/usr/share/datasets/fashion-mnist",
  "validation_size": 10000, "train_images": $((steps * 128)), "batch_size": 128, "threads": 2, "seed": 1,
  "momentum": 0.9, "weight_decay": 3e-05, "sandwich_random_subnets": 1, "distill_weight": 1.0,
  "distill_temperature": 1.0, "augment_shift": 2, "augment_flip": true, "bn_recalibration_batches": 1,
  "progress_every_steps": 1000000, "checkpoint_dir": "$work/unused",
  "phases": [{"name": "largest", "epochs": 2, "learning_rate": 0.05, "elastic": []}]
}
EOF

# Prints the images/s of the second (warm) epoch of one nas_train run.
# $1 setting (tool or VAR=VALUE), $2 threads, $3 checkpoint directory.
train_rate() {
  local setting=$1 threads=$2 dir=$3
  rm -rf "$dir"
  local -a env_args=(env -u OMP_WAIT_POLICY -u GOMP_SPINCOUNT)
  if [ "$setting" != tool ]; then env_args+=("$setting"); fi
  "${env_args[@]}" "$bin/nas_train" --config "$work/config.json" --checkpoint-dir "$dir" --threads "$threads" 2>&1 |
    grep -o "epoch 2/2 step $steps/$steps: .* [0-9]* images/s" | grep -o "[0-9]* images/s" | cut -d' ' -f1
}

busy_loop() { while :; do :; done; }

printf "%-24s %-8s %10s %14s %22s\n" setting threads alone "+busy loop" "+2nd nas_train (both)"
for policy in "${settings[@]}"; do
  for threads in 1 2; do
    alone=$(train_rate "$policy" "$threads" "$work/a")
    busy_loop & neighbour=$!
    busy=$(train_rate "$policy" "$threads" "$work/a")
    kill "$neighbour"; wait "$neighbour" 2>/dev/null || true; neighbour=""
    train_rate "$policy" "$threads" "$work/b" > "$work/second" & neighbour=$!
    first=$(train_rate "$policy" "$threads" "$work/a")
    wait "$neighbour" || true; neighbour=""
    printf "%-24s %-8s %10s %14s %22s\n" "$policy" "$threads" "$alone" "$busy" "$first + $(cat "$work/second")"
  done
done
echo "(images/s of the largest-subnet step, r32, batch 128, second of two epochs of $steps steps; $(nproc) cores)"
