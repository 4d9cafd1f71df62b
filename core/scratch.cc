#include "core/scratch.h"

namespace kilonas::core {

int ConvBlockPixels(int64_t window) { return window <= 64 ? 4 : 2; }

int64_t ScratchBytes(const Graph& graph, const Op& op, KernelSet kernels, bool depthwise_in_place,
                     int in_h, int in_w) {
  return ScratchBytes(op.kind, op.kernel, op.padding, kernels, depthwise_in_place, in_h, in_w,
                      graph.InputOf(op).shape.c, op.weights);
}

int64_t ScratchBytes(OpKind kind, int kernel, int padding, KernelSet kernels, bool depthwise_in_place, int in_h,
                     int in_w, int in_c_int, WeightLayout weights) {
  if (kernels == KernelSet::kReference) return 0;
  const int64_t in_c = in_c_int;
  const int64_t q15 = 2;
  switch (kind) {
    case OpKind::kConv2d: {
      const int64_t window = static_cast<int64_t>(kernel) * kernel * in_c;
      const int64_t padded = (window + 3) / 4 * 4;  // columns rounded up to whole words
      return ConvBlockPixels(window) * padded * q15 + padded;  // + the int8 window they come from
    }
    case OpKind::kPointwiseConv2d:
      if (weights == WeightLayout::kWide) return 2 * ((in_c + 3) / 4 * 4) * q15;  // two pixels, whole groups
      return 4 * in_c * q15;
    case OpKind::kDepthwiseConv2d:
      if (!depthwise_in_place) return 0;
      return static_cast<int64_t>(in_h + 2 * padding) * (in_w + 2 * padding) + 4;  // word reads' slack
    case OpKind::kFullyConnected:
      return static_cast<int64_t>(in_h) * in_w * in_c / 4 * 8;  // two words per group of four inputs
    case OpKind::kAdd:
    case OpKind::kGlobalAvgPool:
      return 0;
  }
  return 0;
}

}  // namespace kilonas::core
