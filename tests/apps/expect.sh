#!/usr/bin/env bash
# expect.sh <exit status> <regex> <command...>: runs the command, checks its exit status and that
# its combined output matches the regex.
set -u
want_status=$1 pattern=$2
shift 2
output=$("$@" 2>&1)
status=$?
echo "$output" | tail -n 20
if [ "$status" -ne "$want_status" ]; then echo "expect: exit status $status, wanted $want_status"; exit 1; fi
if ! grep -Eq -- "$pattern" <<<"$output"; then echo "expect: output does not match: $pattern"; exit 1; fi
