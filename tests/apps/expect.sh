#!/usr/bin/env bash
# expect.sh <exit status> <patterns> <command...>: runs the command, checks its exit status and
# that every extended regex in <patterns> (separated by " && ") matches a line of its output.
set -u
want_status=$1 patterns=$2
shift 2
output=$("$@" 2>&1)
status=$?
echo "$output" | tail -n 20
if [ "$status" -ne "$want_status" ]; then echo "expect: exit status $status, wanted $want_status"; exit 1; fi
rest=$patterns
while [ -n "$rest" ]; do
  pattern=${rest%% && *}
  if [ "$pattern" = "$rest" ]; then rest=""; else rest=${rest#* && }; fi
  if ! grep -Eq -- "$pattern" <<<"$output"; then echo "expect: no line matches: $pattern"; exit 1; fi
done
