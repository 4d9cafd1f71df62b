#!/usr/bin/env bash
# Runs N ranks of a kilonas command on this machine, the way torchrun would: each rank gets
# RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1 and one MASTER_PORT (random, or $MASTER_PORT), and its
# output is prefixed with its rank. When a rank fails the others are stopped; the exit status is
# the first failing rank's (0 when all succeed).
#   scripts/launch_local.sh 2 ./build/bin/nas_train --config configs/supernet_fmnist_full.json --threads 1
# Several machines: run the command on each with RANK, WORLD_SIZE, MASTER_ADDR (rank 0's
# address) and MASTER_PORT set (docs/distributed.md).
set -uo pipefail
if [ $# -lt 2 ] || ! [[ $1 =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 N command [args...]  (N >= 1 ranks on this machine)" >&2
  exit 2
fi
ranks=$1
shift
port=${MASTER_PORT:-$((20000 + RANDOM % 30000))}
pids=()
for ((r = 0; r < ranks; r++)); do
  RANK=$r WORLD_SIZE=$ranks MASTER_ADDR=127.0.0.1 MASTER_PORT=$port "$@" \
    > >(sed -u "s/^/[rank $r] /") 2> >(sed -u "s/^/[rank $r] /" >&2) &
  pids+=($!)
done
status=0
running=("${pids[@]}")
while [ ${#running[@]} -gt 0 ]; do
  wait -n -p done_pid "${running[@]}"
  code=$?
  left=()
  for pid in "${running[@]}"; do [ "$pid" = "$done_pid" ] || left+=("$pid"); done
  running=("${left[@]+"${left[@]}"}")
  if [ "$code" -ne 0 ] && [ "$status" -eq 0 ]; then
    status=$code
    # The others notice a dead rank at their next exchange; stop any that wait on something else.
    sleep 2
    for pid in "${running[@]+"${running[@]}"}"; do kill "$pid" 2>/dev/null; done
  fi
done
wait
exit "$status"
