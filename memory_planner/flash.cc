#include "memory_planner/flash.h"

#include <set>

#include "memory_planner/plan_calls.h"

namespace kilonas::memory_planner {
namespace {

int64_t Align4(int64_t v) { return (v + 3) / 4 * 4; }

// The parameter struct the generated code stores for an op (an add's lives with the add, or with
// the projection it is fused into).
int64_t ParamBlockBytes(core::ParamBlock block, const CodeSize& code) {
  switch (block) {
    case core::ParamBlock::kConv:
      return code.conv_params_bytes;
    case core::ParamBlock::kAdd:
      return code.add_params_bytes;
    case core::ParamBlock::kPool:
      return code.pool_params_bytes;
    case core::ParamBlock::kNone:
      return 0;
  }
  return 0;
}

}  // namespace

FlashEstimate OpDataFlash(const core::Graph& graph, const core::Op& op, core::KernelSet kernels, bool wide) {
  constexpr int64_t kWideRecordExtraBytes = 4;
  FlashEstimate flash;
  flash.weight_bytes = wide ? WideWeightBytes(graph.InputOf(op).shape.c, graph.OutputOf(op).shape.c)
                            : core::StoredWeightBytes(core::FindKernel(op.kind, kernels, false), graph.WeightCount(op),
                                                      graph.BiasCount(op));
  flash.bias_bytes = graph.BiasCount(op) * 4;
  flash.requant_bytes = graph.BiasCount(op) * (kRequantBytesPerChannel + (wide ? kWideRecordExtraBytes : 0));
  return flash;
}

FlashEstimate EstimateDataFlash(const core::Graph& graph, core::KernelSet kernels) {
  FlashEstimate flash;
  for (const core::Op& op : graph.ops()) {
    const FlashEstimate part = OpDataFlash(graph, op, kernels, RunsWide(op, kernels));
    flash.weight_bytes += part.weight_bytes;
    flash.bias_bytes += part.bias_bytes;
    flash.requant_bytes += part.requant_bytes;
  }
  return flash;
}

int64_t WideWeightBytes(int in_channels, int out_channels) {
  return static_cast<int64_t>(out_channels) * Align4(in_channels) * 2;
}

core::Result<FlashEstimate> EstimateFlash(const core::Graph& graph, const MemoryPlan& plan, const CodeSize& code) {
  FlashEstimate flash = EstimateDataFlash(graph, KernelsOf(plan.mode));
  flash.graph_code_bytes = code.model_base_bytes;
  for (const core::Op& op : graph.ops()) {
    flash.graph_code_bytes += ParamBlockBytes(core::Traits(op.kind).params, code);
  }
  std::set<std::string> variants;
  for (const PlannedCall& call : PlanCalls(graph, plan)) {
    flash.graph_code_bytes += code.call_bytes;
    variants.insert(VariantOf(graph, call).Name());
  }
  std::set<std::string> functions;
  for (const std::string& variant : variants) {
    auto it = code.kernel_functions.find(variant);
    if (it == code.kernel_functions.end()) {
      return core::Error{"flash estimate: the " + code.core + " code sizes have no figure for kernel '" + variant +
                         "' (measure them with nas_profile code-size)"};
    }
    functions.insert(it->second.begin(), it->second.end());
  }
  for (const std::string& function : functions) flash.runtime_code_bytes += code.function_bytes.at(function);
  return flash;
}

}  // namespace kilonas::memory_planner
