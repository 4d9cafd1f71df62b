// The list of operator kinds of the Graph IR, in one place, with the traits the planner and the
// engine consult. Code never switches on op names; it asks these traits.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace kilonas::core {

enum class OpKind {
  kConv2d,           // dense k x k convolution (the stem)
  kDepthwiseConv2d,  // one k x k filter per channel
  kPointwiseConv2d,  // 1 x 1 convolution (expand / project / head)
  kAdd,              // element-wise residual add
  kGlobalAvgPool,    // H x W x C -> 1 x 1 x C
  kFullyConnected,   // 1 x 1 x Cin -> 1 x 1 x Cout
};

inline constexpr std::array<OpKind, 6> kAllOpKinds = {
    OpKind::kConv2d, OpKind::kDepthwiseConv2d, OpKind::kPointwiseConv2d,
    OpKind::kAdd,    OpKind::kGlobalAvgPool,   OpKind::kFullyConnected};

struct OpKindTraits {
  std::string_view name;  // stable, used in JSON and reports
  int num_inputs;
  bool has_weights;       // int8 weights + int32 bias + per-channel requant params in flash
  bool in_place_capable;  // output may overwrite its input channel by channel
  bool spatially_local;   // an output pixel depends on a bounded input window: can run per patch
  bool window;            // kernel/stride/padding describe a sliding window over the input
  bool absorbs_add;       // can add a residual to its output while writing over that residual
};

const OpKindTraits& Traits(OpKind kind);
std::optional<OpKind> OpKindFromName(std::string_view name);

enum class Activation { kNone, kRelu, kRelu6 };
std::string_view ActivationName(Activation activation);

}  // namespace kilonas::core
