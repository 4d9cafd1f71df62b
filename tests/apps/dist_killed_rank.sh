#!/usr/bin/env bash
# dist_killed_rank.sh <nas_train> <config> <out dir>: rank 1 of a 2-rank training is killed with
# SIGKILL once training runs; rank 0 must stop by itself with an error naming the failed
# exchange, well within its --dist-timeout (20 s), never hang.
set -u
train=$1 config=$2 out=$3
rm -rf "$out"
mkdir -p "$out"
port=$((20000 + RANDOM % 30000))
common=(--config "$config" --checkpoint-dir "$out/ckpt" --threads 1 --world-size 2 --master-addr 127.0.0.1 --master-port "$port" --dist-timeout 20)
"$train" "${common[@]}" --rank 0 > "$out/rank0.log" 2>&1 &
rank0=$!
"$train" "${common[@]}" --rank 1 > "$out/rank1.log" 2>&1 &
rank1=$!
for _ in $(seq 1 600); do  # until rank 0 reports its first training steps
  grep -q "step 2/" "$out/rank0.log" && break
  sleep 0.1
done
grep -q "step 2/" "$out/rank0.log" || { echo "training did not start"; cat "$out/rank0.log" "$out/rank1.log"; kill $rank0 $rank1; exit 1; }
kill -9 $rank1
start=$SECONDS
for _ in $(seq 1 300); do kill -0 $rank0 2>/dev/null || break; sleep 0.1; done
if kill -0 $rank0 2>/dev/null; then echo "rank 0 still running 30 s after rank 1 died"; kill -9 $rank0; exit 1; fi
wait $rank0
code=$?
echo "rank 0 exited with $code, $((SECONDS - start)) s after rank 1 was killed:"
tail -n 2 "$out/rank0.log"
[ $code -ne 0 ] || { echo "rank 0 exited 0"; exit 1; }
grep -q "error: rank 0 of 2: all-reduce failed (another rank stopped" "$out/rank0.log" || { echo "no clear error"; exit 1; }
