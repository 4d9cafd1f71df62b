// The IDX format of the MNIST family (Fashion-MNIST, MNIST, KMNIST, ...): an images file (magic
// 0x803, count, rows, cols, then uint8 pixels) and a labels file (magic 0x801, count, labels),
// each gzip-compressed or plain. Grayscale.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "data/image_set.h"

namespace kilonas::data {

// The most pixel bytes an images file may declare (4 GiB: ImageNet at 64x64 RGB is about 15).
inline constexpr uint64_t kMaxIdxBytes = uint64_t{1} << 32;

// Reads an images/labels pair: the header first, then exactly the data it declares (memory
// follows the declared size, never a stream that inflates beyond it). Errors name the file:
// missing, not IDX (bad magic), 0 images, a side outside [1, kMaxImageSide], more than
// kMaxIdxBytes, truncated, more data than declared, counts that differ, a label >= `num_classes`.
core::Result<ImageSet> ReadIdxPair(const std::string& images_path, const std::string& labels_path, int num_classes);

}  // namespace kilonas::data
