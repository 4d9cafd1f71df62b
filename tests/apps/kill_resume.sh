#!/usr/bin/env bash
# kill_resume.sh <nas_train> <config> <checkpoint dir>: starts training, kills it with SIGKILL
# right after its first checkpoint, evaluates that checkpoint (--evaluate), resumes, and checks
# that the resumed run finishes.
set -u
train=$1 config=$2 dir=$3
rm -rf "$dir"
"$train" --config "$config" --checkpoint-dir "$dir" > "$dir.first.log" 2>&1 &
pid=$!
for _ in $(seq 1 600); do
  [ -f "$dir/checkpoint.pt" ] && break
  sleep 0.1
done
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
[ -f "$dir/checkpoint.pt" ] || { echo "no checkpoint was written"; cat "$dir.first.log"; exit 1; }
ls "$dir"/*.tmp 2>/dev/null && { echo "a temporary checkpoint was left behind"; exit 1; }
# Checking the unfinished checkpoint trains nothing and still reports the subnets.
checked=$("$train" --config "$config" --checkpoint-dir "$dir" --resume --stop-after-epochs 0 --evaluate 2>&1)
grep -q "^trained 0 epochs" <<<"$checked" || { echo "--evaluate trained: $checked"; exit 1; }
grep -Eq "^largest +subnet: validation accuracy" <<<"$checked" || { echo "--evaluate did not evaluate: $checked"; exit 1; }
output=$("$train" --config "$config" --checkpoint-dir "$dir" --resume 2>&1)
status=$?
echo "$output" | tail -n 8
[ "$status" -eq 0 ] || { echo "resume failed with status $status"; exit 1; }
grep -q "resumed from" <<<"$output" || { echo "did not resume"; exit 1; }
grep -q "(all phases done)" <<<"$output" || { echo "did not finish"; exit 1; }
grep -Eq "^largest +subnet: validation accuracy" <<<"$output" || { echo "no evaluation"; exit 1; }
