#!/usr/bin/env bash
# Configures and builds kilonas in ./build (Release, -j2: the machines have 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j "${KILONAS_JOBS:-2}"
