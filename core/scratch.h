// Scratch memory the engine's kernels need besides their input and output tensors. The planner
// reserves it in the arena; the engine uses exactly that much.
#pragma once

#include <cstdint>

#include "core/graph.h"

namespace kilonas::core {

enum class KernelSet {
  kReference,  // portable kernels reading int8 directly: no scratch (TFLite Micro reference style)
  kOptimized,  // SMLAD kernels with q15 im2col columns and in-place depthwise (TinyEngine style)
};

// Scratch bytes for `op` when its input window is in_h x in_w (the whole tensor, or a patch).
// Optimized set: conv2d keeps two q15 im2col columns (2 x k*k*Cin x 2 bytes); pointwise two q15
// input pixels (2 x Cin x 2 bytes); in-place depthwise one zero-padded input channel
// ((in_h + 2 pad) x (in_w + 2 pad) bytes). Other ops need none.
int64_t ScratchBytes(const Graph& graph, const Op& op, KernelSet kernels, bool depthwise_in_place,
                     int in_h, int in_w);

}  // namespace kilonas::core
