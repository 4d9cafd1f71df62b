#!/usr/bin/env bash
# Measures the .text + .rodata of the engine runtime (all kernels) cross-compiled with the
# firmware's flags, per core. These are the runtime_code_bytes of hw_profiles/*.json.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for cpu in cortex-m4 cortex-m7; do
  objs=()
  for src in engine/runtime/*.c; do
    obj="$tmp/$cpu-$(basename "$src" .c).o"
    arm-none-eabi-gcc -mcpu=$cpu -mthumb -mfloat-abi=soft -O2 -std=c99 -ffunction-sections -fdata-sections \
      -Iengine/runtime -c "$src" -o "$obj"
    objs+=("$obj")
  done
  bytes=$(arm-none-eabi-size -A "${objs[@]}" | awk '$1 ~ /^\.(text|rodata)/ {s += $2} END {print s}')
  echo "$cpu runtime_code_bytes $bytes"
done
