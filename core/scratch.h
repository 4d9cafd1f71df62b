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

// Output pixels per block of the SMLAD conv2d kernel (kilonas_conv_params.block_pixels): 4 for an
// im2col window (k*k*Cin values) of at most 64, where the per-channel work is large next to the
// MACs and the scratch small, else 2.
int ConvBlockPixels(int64_t window);

// Scratch bytes for `op` when its input window is in_h x in_w (the whole tensor, or a patch).
// Optimized set: conv2d keeps a block of q15 im2col columns (ConvBlockPixels x k*k*Cin rounded up to
// 4, x 2 bytes) and the int8 window they are widened from (k*k*Cin bytes rounded up to 4);
// pointwise four q15 input pixels (4 x Cin x 2 bytes), or with wide weights two, each padded to
// whole groups of four (2 x ceil(Cin / 4) x 8 bytes); in-place depthwise one zero-padded input channel
// ((in_h + 2 pad) x (in_w + 2 pad) bytes, plus 4 for the SMLAD kernel's word reads); fully connected
// two words per whole group of four inputs (the input pairs it multiplies the weights with). Other
// ops need none.
int64_t ScratchBytes(const Graph& graph, const Op& op, KernelSet kernels, bool depthwise_in_place,
                     int in_h, int in_w);
// The same from the op's kind, window and input extent (for kernel calls outside a graph).
int64_t ScratchBytes(OpKind kind, int kernel, int padding, KernelSet kernels, bool depthwise_in_place, int in_h,
                     int in_w, int in_c, WeightLayout weights = WeightLayout::kInt8);

}  // namespace kilonas::core
