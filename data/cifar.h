// The binary version of CIFAR-10 and CIFAR-100 (the files users download themselves): records of
// one label byte (CIFAR-10) or a coarse and a fine label byte (CIFAR-100; the fine label is
// used), then 32x32 pixels as three 1024-byte planes R, G, B. Read into HWC RGB images.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "data/image_set.h"

namespace kilonas::data {

enum class CifarKind { kCifar10, kCifar100 };

// Concatenates the records of `paths`. Errors name the file: missing, empty, a size that is not
// a whole number of records, a label out of range.
core::Result<ImageSet> ReadCifarBatches(const std::vector<std::string>& paths, CifarKind kind);

}  // namespace kilonas::data
