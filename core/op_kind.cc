#include "core/op_kind.h"

namespace kilonas::core {
namespace {

// Indexed by OpKind; the order must follow the enum.
constexpr std::array<OpKindTraits, kAllOpKinds.size()> kTraits = {{
    // name, inputs, weights, in place, spatially local, window, absorbs add
    {"conv2d", 1, true, false, true, true, false},
    {"depthwise_conv2d", 1, true, true, true, true, false},
    {"pointwise_conv2d", 1, true, false, true, true, true},
    {"add", 2, false, false, true, false, false},
    {"global_avg_pool", 1, false, false, false, false, false},
    {"fully_connected", 1, true, false, false, false, false},
}};

}  // namespace

const OpKindTraits& Traits(OpKind kind) { return kTraits[static_cast<size_t>(kind)]; }

std::optional<OpKind> OpKindFromName(std::string_view name) {
  for (OpKind kind : kAllOpKinds) {
    if (Traits(kind).name == name) return kind;
  }
  return std::nullopt;
}

std::string_view ActivationName(Activation activation) {
  switch (activation) {
    case Activation::kNone:
      return "none";
    case Activation::kRelu:
      return "relu";
    case Activation::kRelu6:
      return "relu6";
  }
  return "none";
}

}  // namespace kilonas::core
