#!/usr/bin/env bash
# make_fixtures.sh <dir> <nas_train> <nas_export> <nas_search>: the bad inputs of the hostile-input suite
# (cases.txt) that are made rather than committed: IDX data sets with impossible headers, a real
# supernet checkpoint and copies of it flipped or without its manifest, a real model file and
# corrupt copies of it, training configs pointing at them.
set -euo pipefail
dir=$1 nas_train=$2 nas_export=$3 nas_search=$4
src=$(cd "$(dirname "$0")" && pwd)
rm -rf "$dir" && mkdir -p "$dir"

be32() { printf "\\x$(printf %02x $(( ($1 >> 24) & 255 )))\\x$(printf %02x $(( ($1 >> 16) & 255 )))\\x$(printf %02x $(( ($1 >> 8) & 255 )))\\x$(printf %02x $(( $1 & 255 )))"; }
# idx <data dir> <count> <rows> <cols> <pixel bytes> <label byte>: both splits, gzip'd.
idx() {
  mkdir -p "$1"
  for split in train t10k; do
    { printf '\x00\x00\x08\x03'; be32 "$2"; be32 "$3"; be32 "$4"; head -c "$5" /dev/zero; } | gzip > "$1/$split-images-idx3-ubyte.gz"
    { printf '\x00\x00\x08\x01'; be32 "$2"; for ((i = 0; i < $2; ++i)); do printf "\\x$6"; done; } | gzip > "$1/$split-labels-idx1-ubyte.gz"
  done
}
idx "$dir/data_0x0" 20 0 0 0 01
idx "$dir/data_test_size" 100 28 28 78400 01  # then a test split of 20x20 images
{ printf '\x00\x00\x08\x03'; be32 100; be32 20; be32 20; head -c 40000 /dev/zero; } | gzip > "$dir/data_test_size/t10k-images-idx3-ubyte.gz"
idx "$dir/data_bomb" 100 28 28 78400 01  # then training images that inflate 64 MB past their header
{ printf '\x00\x00\x08\x03'; be32 100; be32 28; be32 28; head -c $((78400 + (64 << 20))) /dev/zero; } | gzip > "$dir/data_bomb/train-images-idx3-ubyte.gz"
idx "$dir/data_zero_images" 0 28 28 0 01
idx "$dir/data_1x1" 1200 1 1 1200 01
idx "$dir/data_huge_header" 3 65536 65536 100 01
idx "$dir/data_truncated" 100 28 28 5000 01
idx "$dir/data_bad_label" 100 28 28 78400 0c
idx "$dir/data_fewer_than_a_batch" 70 28 28 54880 01

# train_<name>.json: the template with its data directory and checkpoint directory.
config() { sed -e "s|@DATA@|$2|" -e "s|@CKPT@|$3|" -e "s|@EPOCHS@|${4:-1}|" "$src/train_template.json" > "$dir/train_$1.json"; }
for data in 0x0 zero_images 1x1 huge_header truncated bad_label; do config "data_$data" "$dir/data_$data" "$dir/ckpt_unused" 1; done
config data_fewer_than_a_batch "$dir/data_fewer_than_a_batch" "$dir/ckpt_unused" 1
sed -i "s|\"validation_size\": 1000|\"validation_size\": 100|" "$dir/train_data_fewer_than_a_batch.json"
config ok /usr/share/datasets/fashion-mnist "$dir/ckpt_ok" 1
config foreign /usr/share/datasets/fashion-mnist "$dir/ckpt_ok" 2
"$nas_train" --config "$dir/train_ok.json" > "$dir/train_ok.log" 2>&1
for name in flipped no_manifest; do
  cp -r "$dir/ckpt_ok" "$dir/ckpt_$name" && rm -f "$dir/ckpt_$name/.kilonas.lock"
  config "$name" /usr/share/datasets/fashion-mnist "$dir/ckpt_$name" 1
done
size=$(stat -c %s "$dir/ckpt_flipped/checkpoint.pt")
printf '\x5a' | dd of="$dir/ckpt_flipped/checkpoint.pt" bs=1 seek=$((size / 2)) conv=notrunc status=none
rm "$dir/ckpt_no_manifest/checkpoint.pt.manifest.json"

"$nas_export" --arch mbv2-w0.35 --resolution 48 --no-firmware --out-dir "$dir/export" > "$dir/export.log" 2>&1
head -c 1000 "$dir/export/model.kmodel" > "$dir/model_truncated.kmodel"
cp "$dir/export/model.kmodel" "$dir/model_flipped.kmodel"
size=$(stat -c %s "$dir/model_flipped.kmodel")
printf '\x5a' | dd of="$dir/model_flipped.kmodel" bs=1 seek=$((size - 100)) conv=notrunc status=none
head -c 5000 /dev/urandom > "$dir/model_random.kmodel"
head -c 100 /dev/zero > "$dir/input_short.raw"
head -c 6912 /dev/zero > "$dir/input_ok.raw"
# A real search state, then copies edited by hand: one with its bytes changed, and some whose
# manifest was rewritten too (size and CRC-32 from gzip's trailer), so that validation must refuse them.
sed "s|@DIR@|$dir|" "$src/search_template.json" > "$dir/search.json"
sed "s|\"generations\": 1|\"generations\": 0|" "$dir/search.json" > "$dir/search_fewer_generations.json"
"$nas_search" --hw hw_profiles/stm32f746.json --config "$dir/search.json" --no-firmware > "$dir/search.log" 2>&1
manifest() {
  local file=$1 crc
  crc=$(gzip -c < "$file" | tail -c 8 | od -An -tx4 -N4 | tr -d ' ')
  printf '{"schema_version": 1, "file": "search_state.json", "bytes": %d, "crc32": "%s", "tags": {"kind": "search state"}}\n' \
    "$(stat -c %s "$file")" "$crc" > "$file.manifest.json"
}
state() {  # state <name> <sed expression>
  mkdir -p "$dir/state_$1" && sed -e "$2" "$dir/search/stm32f746/search_state.json" > "$dir/state_$1/search_state.json"
  manifest "$dir/state_$1/search_state.json"
}
state generation 's/"generation":1/"generation":-3/'
state rng 's/"rng":"[0-9 ]*"/"rng":"garbage"/'
state spaces 's/"spaces":\[[^]]*\]/"spaces":[]/'
state sram 's/"sram_bytes":\([0-9]*\)/"sram_bytes":1\1/'
state crowned 's/"accuracy":[0-9.e-]*/"accuracy":0.99/g'  # every accuracy (and the manifest) rewritten
mkdir -p "$dir/state_flipped" && cp "$dir/search/stm32f746/search_state.json"* "$dir/state_flipped/"
sed -i 's/"generation":1/"generation":0/' "$dir/state_flipped/search_state.json"
mkdir -p "$dir/foreign_dir" && echo "keep me" > "$dir/foreign_dir/notes.txt"
# An image file of one's own (a 6x6 PPM) and one cut short.
{ printf 'P6 6 6 255\n'; head -c 108 /dev/urandom; } > "$dir/icon.ppm"
head -c 60 "$dir/icon.ppm" > "$dir/icon_cut.ppm"
# A FIFO where a file is expected (nobody ever writes it: a reader that opened it would wait forever).
rm -f "$dir/fifo" && mkfifo "$dir/fifo"
rm -f "$dir/fifo.tflite" "$dir/fifo.json" && mkfifo "$dir/fifo.tflite" && mkfifo "$dir/fifo.json"
# Image folders as a user's own data set: a zero-byte image, a corrupt one, a link to nothing,
# names in other scripts (the good images are the icon above).
for defect in empty corrupt dangling; do
  rm -rf "$dir/icons_$defect" && mkdir -p "$dir/icons_$defect/Äpfel" "$dir/icons_$defect/梨"
  cp "$dir/icon.ppm" "$dir/icons_$defect/Äpfel/ñ 1.ppm" && cp "$dir/icon.ppm" "$dir/icons_$defect/梨/🍐.ppm"
done
: > "$dir/icons_empty/梨/leer.ppm"
printf 'P6 6 6 255\n' > "$dir/icons_corrupt/梨/kaputt.ppm"
ln -s "$dir/none.ppm" "$dir/icons_dangling/Äpfel/gone.ppm"
mkdir -p "$dir/dir.tflite"
head -c 5000 tests/tflite/data/person_detect.tflite > "$dir/person_cut.tflite"
# An earlier export with the user's own file beside it: a new export there must not delete it.
rm -rf "$dir/export_with_notes" && cp -r "$dir/export" "$dir/export_with_notes" && echo "keep me" > "$dir/export_with_notes/notes.txt"
echo "fixtures in $dir"
