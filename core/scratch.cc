#include "core/scratch.h"

namespace kilonas::core {

int64_t ScratchBytes(const Graph& graph, const Op& op, KernelSet kernels, bool depthwise_in_place,
                     int in_h, int in_w) {
  if (kernels == KernelSet::kReference) return 0;
  const int64_t in_c = graph.InputOf(op).shape.c;
  const int64_t q15 = 2;
  switch (op.kind) {
    case OpKind::kConv2d:
      return 2 * static_cast<int64_t>(op.kernel) * op.kernel * in_c * q15;
    case OpKind::kPointwiseConv2d:
      return 2 * in_c * q15;
    case OpKind::kDepthwiseConv2d:
      if (!depthwise_in_place) return 0;
      return static_cast<int64_t>(in_h + 2 * op.padding) * (in_w + 2 * op.padding);
    case OpKind::kAdd:
    case OpKind::kGlobalAvgPool:
    case OpKind::kFullyConnected:
      return 0;
  }
  return 0;
}

}  // namespace kilonas::core
