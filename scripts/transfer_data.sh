#!/usr/bin/env bash
# The on-device training transfer tasks' data, made from files Debian ships so that every figure
# is reproducible offline (docs/ondevice.md):
#   <out>/digits/{train,test}/<class>/<n>.pgm  scikit-learn's 1,797 8x8 handwritten digits
#       (python3-sklearn's digits.csv.gz), values 0..16 scaled to 0..255, split by a fixed
#       permutation (seed 20221020) into 1,438 training and 359 test images: new classes, few
#       samples (the folder reader resizes them to the model's input).
#   <out>/fmnist_shift/  Fashion-MNIST (dataset-fashion-mnist) as a new camera would give it:
#       every image rotated 90 degrees clockwise and its contrast inverted, as IDX files.
# Each set is written beside its final place and renamed into it, so an interrupted run leaves
# no half set.
#   scripts/transfer_data.sh [out dir (default out/transfer)]
set -euo pipefail
out=${1:-out/transfer}
digits=/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz
fmnist=/usr/share/datasets/fashion-mnist
[ -f "$digits" ] || { echo "transfer_data: $digits is missing (apt-get install python3-sklearn)" >&2; exit 1; }
[ -d "$fmnist" ] || { echo "transfer_data: $fmnist is missing (apt-get install dataset-fashion-mnist)" >&2; exit 1; }
mkdir -p "$out"
python3 - "$out" "$digits" "$fmnist" <<'EOF'
import gzip, os, random, shutil, struct, sys

out, digits_csv, fmnist = sys.argv[1], sys.argv[2], sys.argv[3]

def replace(staging, final):
    if os.path.exists(final):
        shutil.rmtree(final)
    os.rename(staging, final)

def write_digits():
    rows = [line.split(",") for line in gzip.open(digits_csv, "rt").read().split("\n") if line.strip()]
    order = list(range(len(rows)))
    random.Random(20221020).shuffle(order)
    test = set(order[:len(rows) // 5])
    staging = os.path.join(out, "digits.staging")
    shutil.rmtree(staging, ignore_errors=True)
    for i, row in enumerate(rows):
        label = int(row[64])
        folder = os.path.join(staging, "test" if i in test else "train", str(label))
        os.makedirs(folder, exist_ok=True)
        pixels = bytes(min(255, int(v) * 255 // 16) for v in row[:64])
        with open(os.path.join(folder, "%04d.pgm" % i), "wb") as f:
            f.write(b"P5\n8 8\n255\n" + pixels)
    replace(staging, os.path.join(out, "digits"))
    print("transfer_data: %s/digits: %d training and %d test images of 10 digits"
          % (out, len(rows) - len(test), len(test)))

def shifted_images(path):
    data = gzip.open(path).read()
    magic, count, rows, cols = struct.unpack(">IIII", data[:16])
    invert = bytes(range(255, -1, -1))
    body = bytearray()
    for n in range(count):
        image = data[16 + n * rows * cols:16 + (n + 1) * rows * cols]
        grid = [image[r * cols:(r + 1) * cols] for r in range(rows)]
        rotated = b"".join(bytes(column) for column in zip(*grid[::-1]))  # 90 degrees clockwise
        body += rotated.translate(invert)
    return data[:16] + bytes(body)

def write_fmnist_shift():
    staging = os.path.join(out, "fmnist_shift.staging")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    for split in ("train", "t10k"):
        with open(os.path.join(staging, split + "-images-idx3-ubyte"), "wb") as f:
            f.write(shifted_images(os.path.join(fmnist, split + "-images-idx3-ubyte.gz")))
        with open(os.path.join(staging, split + "-labels-idx1-ubyte"), "wb") as f:
            f.write(gzip.open(os.path.join(fmnist, split + "-labels-idx1-ubyte.gz")).read())
    replace(staging, os.path.join(out, "fmnist_shift"))
    print("transfer_data: %s/fmnist_shift: Fashion-MNIST rotated 90 degrees and inverted" % out)

write_digits()
write_fmnist_shift()
EOF
