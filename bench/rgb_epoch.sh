#!/usr/bin/env bash
# rgb_epoch.sh [threads]: time per epoch of the rgb32 quick configuration on a CIFAR-10-sized data
# set (50,000 + 10,000 32x32 RGB images in the binary batch format). The pixels are random: the
# time does not depend on them, and CIFAR-10 itself cannot be downloaded here. Prints nas_train's
# epoch lines (images/s) and the wall time of the first epoch of each phase kind.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-2}
work=out/bench/rgb_epoch
rm -rf "$work" && mkdir -p "$work/cifar"
for batch in 1 2 3 4 5; do
  perl -e 'srand('"$batch"'); for (1..10000) { print chr($_ % 10), join("", map { chr(int rand 256) } 1..3072) }' \
    > "$work/cifar/data_batch_$batch.bin"
done
perl -e 'srand(9); for (1..10000) { print chr($_ % 10), join("", map { chr(int rand 256) } 1..3072) }' > "$work/cifar/test_batch.bin"
echo "rgb32 quick config, CIFAR-10-sized random data, $threads threads, $(nproc) cores"
# The two epochs of the largest phase and the kernel phase's (3 subnets per step: sandwich).
./build/bin/nas_train --config configs/supernet_rgb32_quick.json --data "cifar10:$work/cifar" --threads "$threads" \
  --checkpoint-dir "$work/ckpt" --stop-after-epochs 3 2>&1 | grep -E "step 100/100:|trained"
