// A labelled set of 8-bit images of one size, the form every data set reader produces and the
// trainer, the evaluators and the int8 engine read. No LibTorch: tensors are made in supernet/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kilonas::data {

inline constexpr uint32_t kMaxImageSide = 4096;

struct ImageSet {
  int rows = 0, cols = 0;
  int channels = 1;             // 1 (grayscale) or 3 (RGB)
  std::vector<uint8_t> pixels;  // image i at [i * ImageBytes(), (i + 1) * ImageBytes()), HWC
  std::vector<uint8_t> labels;
  size_t size() const { return labels.size(); }
  size_t ImageBytes() const { return static_cast<size_t>(rows) * cols * channels; }
};

}  // namespace kilonas::data
