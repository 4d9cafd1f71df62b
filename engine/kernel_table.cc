#include "engine/kernel_table.h"

namespace kilonas::engine {
namespace {

struct Row {
  core::OpKind kind;
  bool writes_over;  // the plan shares a buffer: in-place depthwise, fused residual add
  Kernel reference;
  Kernel optimized;
  Kernel optimized_wide;  // with wide weights (core::WeightLayout::kWide): pointwise has its own
};

constexpr Row kTable[] = {
    {core::OpKind::kConv2d, false, Kernel::kConv2dRef, Kernel::kConv2dDsp, Kernel::kConv2dDsp},
    {core::OpKind::kPointwiseConv2d, false, Kernel::kPointwiseRef, Kernel::kPointwiseDsp, Kernel::kPointwiseWideDsp},
    {core::OpKind::kPointwiseConv2d, true, Kernel::kPointwiseAddRef, Kernel::kPointwiseAddDsp,
     Kernel::kPointwiseAddWideDsp},
    {core::OpKind::kDepthwiseConv2d, false, Kernel::kDepthwiseRef, Kernel::kDepthwiseRef, Kernel::kDepthwiseRef},
    {core::OpKind::kDepthwiseConv2d, true, Kernel::kDepthwiseInPlace, Kernel::kDepthwiseInPlaceDsp,
     Kernel::kDepthwiseInPlaceDsp},
    {core::OpKind::kAdd, false, Kernel::kAdd, Kernel::kAdd, Kernel::kAdd},
    {core::OpKind::kAdd, true, Kernel::kNone, Kernel::kNone, Kernel::kNone},
    {core::OpKind::kGlobalAvgPool, false, Kernel::kGlobalAvgPool, Kernel::kGlobalAvgPool, Kernel::kGlobalAvgPool},
    {core::OpKind::kFullyConnected, false, Kernel::kFullyConnected, Kernel::kFullyConnectedDsp,
     Kernel::kFullyConnectedDsp},
};

}  // namespace

Kernel KernelFor(core::OpKind kind, bool writes_over, KernelSet set, core::WeightLayout weights) {
  for (const Row& row : kTable) {
    if (row.kind != kind || row.writes_over != writes_over) continue;
    if (set == KernelSet::kReference) return row.reference;
    return weights == core::WeightLayout::kWide ? row.optimized_wide : row.optimized;
  }
  return Kernel::kNone;  // unreachable for plans made by the memory planner
}

Kernel SelectKernel(const core::Graph& graph, const memory_planner::MemoryPlan& plan, int index, KernelSet set) {
  const bool reference = set == KernelSet::kReference || memory_planner::KernelsOf(plan.mode) == KernelSet::kReference;
  const core::Op& op = graph.op(index);
  return KernelFor(op.kind, plan.op_writes_over.at(index) >= 0, reference ? KernelSet::kReference : KernelSet::kOptimized,
                   op.weights);
}

std::string_view KernelSymbol(Kernel kernel) {
  switch (kernel) {
    case Kernel::kNone:
      return "";
    case Kernel::kConv2dRef:
      return "kilonas_conv2d_ref";
    case Kernel::kConv2dDsp:
      return "kilonas_conv2d_dsp";
    case Kernel::kPointwiseRef:
      return "kilonas_pointwise_ref";
    case Kernel::kPointwiseDsp:
      return "kilonas_pointwise_dsp";
    case Kernel::kPointwiseAddRef:
      return "kilonas_pointwise_add_ref";
    case Kernel::kPointwiseAddDsp:
      return "kilonas_pointwise_add_dsp";
    case Kernel::kPointwiseWideDsp:
      return "kilonas_pointwise_wide_dsp";
    case Kernel::kPointwiseAddWideDsp:
      return "kilonas_pointwise_add_wide_dsp";
    case Kernel::kDepthwiseRef:
      return "kilonas_depthwise_ref";
    case Kernel::kDepthwiseInPlace:
      return "kilonas_depthwise_inplace";
    case Kernel::kDepthwiseInPlaceDsp:
      return "kilonas_depthwise_inplace_dsp";
    case Kernel::kAdd:
      return "kilonas_add";
    case Kernel::kGlobalAvgPool:
      return "kilonas_global_avg_pool";
    case Kernel::kFullyConnected:
      return "kilonas_fully_connected";
    case Kernel::kFullyConnectedDsp:
      return "kilonas_fully_connected_dsp";
  }
  return "";
}

bool UsesChannelWords(Kernel kernel) {
  return kernel == Kernel::kConv2dDsp || kernel == Kernel::kPointwiseDsp || kernel == Kernel::kPointwiseAddDsp ||
         kernel == Kernel::kPointwiseWideDsp || kernel == Kernel::kPointwiseAddWideDsp ||
         kernel == Kernel::kDepthwiseInPlaceDsp || kernel == Kernel::kFullyConnectedDsp;
}

bool FusesAdd(Kernel kernel) {
  return kernel == Kernel::kPointwiseAddRef || kernel == Kernel::kPointwiseAddDsp || kernel == Kernel::kPointwiseAddWideDsp;
}

}  // namespace kilonas::engine
