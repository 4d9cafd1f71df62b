#!/usr/bin/env bash
# Builds kilonas in ./build-asan with AddressSanitizer and UndefinedBehaviorSanitizer (no
# LibTorch: the supernet is not sanitized) and runs the unit and firmware tests there: any
# out-of-bounds access, use after free, leak or undefined behaviour fails the test that made it.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKILONAS_SANITIZE=ON -DKILONAS_WITH_TORCH=OFF \
  -DKILONAS_BUILD_BENCH=OFF
cmake --build build-asan -j "${KILONAS_JOBS:-2}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
ctest --test-dir build-asan --output-on-failure -j 2 -L 'unit|firmware'
