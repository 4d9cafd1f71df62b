#!/usr/bin/env bash
# dist_mismatch.sh <nas_train> <config> <out dir>: rank 1 of a 2-rank training starts with another
# seed in its config; both ranks must stop before training with one line naming the mismatch,
# never abort inside Gloo or train on.
set -u
train=$1 config=$2 out=$3
rm -rf "$out" && mkdir -p "$out"
sed -e 's/"seed": *[0-9]*/"seed": 77/' "$config" > "$out/other_seed.json"
cmp -s "$config" "$out/other_seed.json" && { echo "dist_mismatch: the config has no seed to change"; exit 1; }
port=$((20000 + RANDOM % 30000))
common=(--checkpoint-dir "$out/ckpt" --threads 1 --world-size 2 --master-addr 127.0.0.1 --master-port "$port" --dist-timeout 20)
timeout 120 "$train" --config "$config" "${common[@]}" --rank 0 > "$out/rank0.log" 2>&1 &
rank0=$!
timeout 120 "$train" --config "$out/other_seed.json" "${common[@]}" --rank 1 > "$out/rank1.log" 2>&1
code1=$?
wait $rank0
code0=$?
tail -n 1 "$out/rank0.log" "$out/rank1.log"
[ "$code0" -eq 1 ] && [ "$code1" -eq 1 ] || { echo "dist_mismatch: exit statuses $code0 and $code1, wanted 1 and 1"; exit 1; }
for log in "$out/rank0.log" "$out/rank1.log"; do
  grep -q "rank 1 of 2 was started with another configuration than rank 0" "$log" || { echo "no clear error in $log"; exit 1; }
  if grep -q "step 1/" "$log"; then echo "training started in $log"; exit 1; fi
done
echo "dist_mismatch: ok"
