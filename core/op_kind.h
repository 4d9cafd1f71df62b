// The operator kinds of the Graph IR and their traits, listed once (KILONAS_OP_KINDS). Code asks
// these traits instead of listing kinds; where an op kind needs its own code (the float and
// int8 math, the supernet's torch layers, shape rules) it is an exhaustive switch, which the
// build turns into an error when a kind is missing (-Werror=switch).
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace kilonas::core {

// The parameter block the engine's kernels of a kind take (kilonas_runtime.h).
enum class ParamBlock {
  kNone,
  kConv,  // kilonas_conv_params: window, offsets, clamp, and the constants when it has weights
  kAdd,   // kilonas_add_params
  kPool,  // kilonas_pool_params (global average pool; softmax: its input scaling as multiplier, shift)
};

// X(enumerator, name, inputs, weights, in place, spatially local, window, absorbs add, keeps quant,
//   params)
//   name             stable, used in JSON, LUT keys and reports
//   weights          int8 weights + int32 bias + per-channel requant params in flash
//   in place         output may overwrite its input channel by channel
//   spatially local  an output pixel depends on a bounded input window: can run per patch
//   window           kernel/stride/padding describe a sliding window over the input
//   absorbs add      can add a residual to its output while writing over that residual
//   keeps quant      the output has the input's scale and zero point (its kernel works on raw
//                    values: pooling, as TFLite requires)
#define KILONAS_OP_KINDS(X)                                                                                         \
  X(Conv2d, "conv2d", 1, true, false, true, true, false, false, kConv)                    /* k x k */               \
  X(DepthwiseConv2d, "depthwise_conv2d", 1, true, true, true, true, false, false, kConv)  /* per channel */         \
  X(PointwiseConv2d, "pointwise_conv2d", 1, true, false, true, true, true, false, kConv)  /* 1 x 1 */               \
  X(Add, "add", 2, false, false, true, false, false, false, kAdd)                         /* residual */            \
  X(GlobalAvgPool, "global_avg_pool", 1, false, false, false, false, false, false, kPool) /* -> 1x1xC */            \
  X(FullyConnected, "fully_connected", 1, true, false, false, false, false, false, kConv) /* 1x1xCin -> 1x1xCout */ \
  X(AvgPool2d, "avg_pool2d", 1, false, false, true, true, false, true, kConv) /* k x k mean, padding not counted */ \
  X(MaxPool2d, "max_pool2d", 1, false, false, true, true, false, true, kConv) /* k x k max, padding not counted */  \
  X(Softmax, "softmax", 1, false, false, false, false, false, false, kPool)   /* per pixel, over channels */

enum class OpKind {
#define KILONAS_OP_ENUMERATOR(id, ...) k##id,
  KILONAS_OP_KINDS(KILONAS_OP_ENUMERATOR)
#undef KILONAS_OP_ENUMERATOR
};

inline constexpr std::array kAllOpKinds = {
#define KILONAS_OP_ENUMERATOR(id, ...) OpKind::k##id,
    KILONAS_OP_KINDS(KILONAS_OP_ENUMERATOR)
#undef KILONAS_OP_ENUMERATOR
};

struct OpKindTraits {
  std::string_view name;
  int num_inputs;
  bool has_weights;
  bool in_place_capable;
  bool spatially_local;
  bool window;
  bool absorbs_add;
  bool keeps_quant;
  ParamBlock params;
};

const OpKindTraits& Traits(OpKind kind);
std::optional<OpKind> OpKindFromName(std::string_view name);

enum class Activation { kNone, kRelu, kRelu6 };
std::string_view ActivationName(Activation activation);

}  // namespace kilonas::core
