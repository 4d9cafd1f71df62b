#!/usr/bin/env bash
# clang-format over the project's C and C++ sources with the repository's .clang-format.
#   bash scripts/format.sh          rewrites the files in place
#   bash scripts/format.sh --check  lists the files that differ (exit status 1 if any)
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.cc' '*.h' | grep -v '^tests/engine/golden/')
if [ "${1:-}" = "--check" ]; then
  differ=0
  for f in "${files[@]}"; do
    if ! clang-format --style=file "$f" | cmp -s - "$f"; then echo "$f"; differ=1; fi
  done
  exit "$differ"
fi
clang-format --style=file -i "${files[@]}"
