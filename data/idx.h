// The IDX format of the MNIST family (Fashion-MNIST, MNIST, KMNIST, ...): an images file (magic
// 0x803, count, rows, cols, then uint8 pixels) and a labels file (magic 0x801, count, labels),
// each gzip-compressed or plain. Grayscale.
#pragma once

#include <string>

#include "core/status.h"
#include "data/image_set.h"

namespace kilonas::data {

// Reads an images/labels pair. Errors name the file: missing, not IDX (bad magic), 0 images, a
// side outside [1, kMaxImageSide], truncated, counts that differ, a label >= `num_classes`.
core::Result<ImageSet> ReadIdxPair(const std::string& images_path, const std::string& labels_path, int num_classes);

}  // namespace kilonas::data
