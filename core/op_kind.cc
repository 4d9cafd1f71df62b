#include "core/op_kind.h"

namespace kilonas::core {
namespace {

// Indexed by OpKind: the same list in the same order.
constexpr std::array<OpKindTraits, kAllOpKinds.size()> kTraits = {{
#define KILONAS_OP_TRAITS(id, name, inputs, weights, in_place, local, window, absorbs_add, keeps_quant, params) \
  {name, inputs, weights, in_place, local, window, absorbs_add, keeps_quant, ParamBlock::params},
    KILONAS_OP_KINDS(KILONAS_OP_TRAITS)
#undef KILONAS_OP_TRAITS
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
