// A labelled set of 8-bit images of one size, the form every data set reader produces and the
// trainer, the evaluators and the int8 engine read. No LibTorch: tensors are made in supernet/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kilonas::data {

inline constexpr uint32_t kMaxImageSide = 4096;

// How a model's input is made from pixels: (pixel / 255 - mean[c]) / std[c] per channel c.
struct Normalization {
  std::vector<float> mean, std;
};

// The normalisation every Fashion-MNIST model of the project was trained with before data sets
// carried their own statistics (one channel); checkpoints without statistics use it.
inline Normalization LegacyFashionMnistNormalization() { return {{0.2860f}, {0.3530f}}; }

struct ImageSet {
  int rows = 0, cols = 0;
  int channels = 1;             // 1 (grayscale) or 3 (RGB)
  std::vector<uint8_t> pixels;  // image i at [i * ImageBytes(), (i + 1) * ImageBytes()), HWC
  std::vector<uint8_t> labels;
  // What models fed from this set normalise it with: the training split's statistics (of the data
  // set, or of the checkpoint the model was trained with), the same for every split.
  Normalization normalization;
  size_t size() const { return labels.size(); }
  size_t ImageBytes() const { return static_cast<size_t>(rows) * cols * channels; }
};

}  // namespace kilonas::data
