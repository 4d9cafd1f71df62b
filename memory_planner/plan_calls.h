// The kernel calls a MemoryPlan executes, in the engine's order: every op once on whole tensors,
// the patch stage once per patch at that patch's regions, no call for an add computed by its
// producer. Each call names its kernel variant (op kind, kernel set of the mode, whether it
// writes over another tensor's buffer), which is what the engine's kernel table maps to a
// runtime function. The latency LUT prices these calls and the flash estimate counts their
// code; engine::BuildSchedule makes exactly these calls (tested).
#pragma once

#include <string>
#include <vector>

#include "core/graph.h"
#include "core/kernel_registry.h"
#include "memory_planner/memory_plan.h"

namespace kilonas::memory_planner {

struct PlannedCall {
  int op = 0;
  core::Shape in;   // region read (rows x cols x channels)
  core::Shape out;  // region computed
  core::KernelSet kernels = core::KernelSet::kOptimized;
  bool writes_over = false;  // in-place depthwise, or projection writing x + conv over x
  bool wide = false;         // optimized pointwise with wide weights (core::WeightLayout::kWide)
};

std::vector<PlannedCall> PlanCalls(const core::Graph& graph, const MemoryPlan& plan);

// Whether op's calls in a plan with `kernels` run a wide-weight kernel: its weights are stored
// wide and the set has a wide kernel for its kind (the reference kernels read int8 weights).
bool RunsWide(const core::Op& op, core::KernelSet kernels);

// The call's variant as LUT keys and code sizes name it (core::CallVariant).
core::CallVariant VariantOf(const core::Graph& graph, const PlannedCall& call);

}  // namespace kilonas::memory_planner
