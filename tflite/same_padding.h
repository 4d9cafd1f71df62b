// TensorFlow's SAME and VALID padding along one axis, shared by the importer and the exporter.
#pragma once

#include <algorithm>

#include "core/receptive_field.h"
#include "tflite/tflite_model.h"

namespace kilonas::tflite {

// Zero padding before and after along one axis, and the output size it gives.
struct AxisPadding {
  int before = 0, after = 0, out = 0;
  bool operator==(const AxisPadding& o) const { return before == o.before && after == o.after && out == o.out; }
};

// As TensorFlow computes it: VALID pads nothing; SAME gives ceil(in / stride) outputs and puts
// the odd padding after.
inline AxisPadding PaddingOf(Padding padding, int in, int kernel, int stride) {
  if (padding == Padding::kValid) return {0, 0, core::WindowOutputSize(in, kernel, stride, 0)};
  const int out = (in + stride - 1) / stride;
  const int total = std::max((out - 1) * stride + kernel - in, 0);
  return {total / 2, total - total / 2, out};
}

}  // namespace kilonas::tflite
