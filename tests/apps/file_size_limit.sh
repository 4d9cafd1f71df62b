#!/usr/bin/env bash
# file_size_limit.sh <nas_train> <train config> <nas_export> <out dir>: under a file size limit
# (ulimit -f) a tool reports the failed write naming the file and exits 1, never dies of SIGXFSZ;
# a checkpoint written before stays loadable.
set -u
nas_train=$1 config=$2 nas_export=$3 out=$4
rm -rf "$out" && mkdir -p "$out"
fail() { echo "file_size_limit: $*"; exit 1; }

"$nas_train" --config "$config" --checkpoint-dir "$out/supernet" --stop-after-epochs 1 > "$out/first.log" 2>&1 ||
  fail "the first epoch failed: $(tail -3 "$out/first.log")"
before=$(md5sum < "$out/supernet/checkpoint.pt")
(ulimit -f 64 && exec "$nas_train" --config "$config" --checkpoint-dir "$out/supernet" --resume \
  --stop-after-epochs 1) > "$out/limited.log" 2>&1
status=$?
tail -3 "$out/limited.log"
[ "$status" -eq 1 ] || fail "nas_train under ulimit -f exited $status, wanted 1"
grep -Eq "checkpoint.pt.tmp.*File too large" "$out/limited.log" || fail "no line names the checkpoint and EFBIG"
[ "$(md5sum < "$out/supernet/checkpoint.pt")" = "$before" ] || fail "the previous checkpoint changed"
"$nas_train" --config "$config" --checkpoint-dir "$out/supernet" --resume --stop-after-epochs 0 > "$out/load.log" 2>&1 ||
  fail "the previous checkpoint does not load: $(tail -3 "$out/load.log")"

(ulimit -f 16 && exec "$nas_export" --arch mbv2-w0.35 --resolution 48 --no-firmware --out-dir "$out/export") \
  > "$out/export.log" 2>&1
status=$?
tail -2 "$out/export.log"
[ "$status" -eq 1 ] || fail "nas_export under ulimit -f exited $status, wanted 1"
grep -Eq "error: .*File too large" "$out/export.log" || fail "nas_export: no line names EFBIG"
echo "file_size_limit: ok"
