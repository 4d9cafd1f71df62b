// The classic small CNN that MCUNet-style tables compare searched models against: a stack of 3x3
// convolutions with ReLU6 (stride 1, then stride 2, doubling the channels), global average
// pooling and a fully connected classifier; scaled to a budget by a width multiplier and the
// input resolution. Trained from scratch (supernet/graph_training.h), not part of any space.
#pragma once

#include <string>
#include <vector>

#include "core/graph.h"
#include "core/status.h"

namespace kilonas::core {

struct PlainCnnSpec {
  int resolution = 32;
  int in_channels = 1;
  int num_classes = 10;
  std::vector<int> channels;  // one 3x3 convolution each
  std::vector<int> strides;   // of each convolution
};

// The family at `width`: channels 16, 32, 64, 128 x width (at least 4, rounded to a multiple of
// 4), strides 1, 2, 2, 2.
PlainCnnSpec ScaledPlainCnn(int in_channels, int num_classes, double width, int resolution);

// The widths a baseline scales the family to (with a space's resolutions); the latency LUT of a
// space prices their kernel calls too.
inline constexpr double kPlainCnnWidths[] = {0.25, 0.375, 0.5, 0.75, 1.0, 1.5, 2.0};

Result<Graph> BuildPlainCnn(const PlainCnnSpec& spec);

}  // namespace kilonas::core
