#!/usr/bin/env bash
# The default job of the current milestone: peak-memory reproduction of MobileNetV2 at 224x224
# (MCUNetV2 Figure 1) and the MCUNet baselines against the STM32F746 budgets, then the int8
# export of mbv2-w0.35 at 144 to Cortex-M7 firmware, run in QEMU and checked against the host,
# then the quick supernet training on Fashion-MNIST with the int8 export of its largest subnet.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
./build/bin/nas_memory --arch mbv2-w1.0 --resolution 224 --hw hw_profiles/stm32f746.json
./build/bin/nas_memory --arch mbv2-w0.35 --resolution 144 --hw hw_profiles/stm32f746.json
./build/bin/nas_memory --arch proxyless-w0.3 --resolution 176 --hw hw_profiles/stm32f746.json
./build/bin/nas_export --arch mbv2-w0.35 --resolution 144 --num-classes 1000 --hw hw_profiles/stm32f746.json
./build/bin/nas_train --config configs/supernet_fmnist_quick.json --test --export largest
