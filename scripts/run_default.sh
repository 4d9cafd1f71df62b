#!/usr/bin/env bash
# The main job on its default configuration: nas_search for the STM32F746 (loads the committed,
# trained Fashion-MNIST supernet in supernets/fmnist_full, TinyNAS stage 1 + evolution under the
# profile's budgets and a 100 ms latency budget, int8 export to firmware run in QEMU), after the
# peak-memory reproduction of MobileNetV2 at 224x224 (MCUNetV2 Figure 1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/bin/nas_memory --arch mbv2-w1.0 --resolution 224 --hw hw_profiles/stm32f746.json
./build/bin/nas_search --hw hw_profiles/stm32f746.json
