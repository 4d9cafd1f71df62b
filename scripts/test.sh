#!/usr/bin/env bash
# Builds kilonas and runs the whole test suite; ctest prints its summary line last.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
ctest --test-dir build --output-on-failure -j 2
