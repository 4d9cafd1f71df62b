// Which runtime kernel runs each op: one table keyed by op kind and whether the plan lets the op
// write over another tensor's buffer, with a reference and an optimized (SMLAD) entry. The host
// interpreter and the C code generator both choose through it.
#pragma once

#include <string_view>

#include "core/graph.h"
#include "memory_planner/memory_plan.h"

namespace kilonas::engine {

enum class Kernel {
  kNone,  // an add already computed by the projection before it
  kConv2dRef,
  kConv2dDsp,
  kPointwiseRef,
  kPointwiseDsp,
  kPointwiseAddRef,  // pointwise writing x + conv over the residual x
  kPointwiseAddDsp,
  kPointwiseWideDsp,  // wide (q15) weights: core::WeightLayout::kWide
  kPointwiseAddWideDsp,
  kDepthwiseRef,
  kDepthwiseInPlace,
  kDepthwiseInPlaceDsp,
  kAdd,
  kGlobalAvgPool,
  kFullyConnected,
  kFullyConnectedDsp,
};

using KernelSet = core::KernelSet;

// The kernel for an op of `kind` that does (or does not) write over another tensor's buffer, its
// weights stored as `weights` (the wide layout only has optimized pointwise kernels: the
// reference kernels read the int8 weights).
Kernel KernelFor(core::OpKind kind, bool writes_over, KernelSet set,
                 core::WeightLayout weights = core::WeightLayout::kInt8);

// The plan's mode fixes the kernels (memory_planner::KernelsOf: per_layer reserves no scratch,
// so it runs the reference kernels); `set` kReference forces them in the other modes too (to
// check that both give the same bits).
Kernel SelectKernel(const core::Graph& graph, const memory_planner::MemoryPlan& plan, int index,
                    KernelSet set = KernelSet::kOptimized);

std::string_view KernelSymbol(Kernel kernel);  // C function name in kilonas_runtime.h

// The kernel reads kilonas_conv_params.channels (ChannelWords) instead of bias, multiplier and
// shift: the generated code stores one or the other.
bool UsesChannelWords(Kernel kernel);

// A pointwise kernel writing x + conv over the residual x (the add fused into it).
bool FusesAdd(Kernel kernel);

}  // namespace kilonas::engine
