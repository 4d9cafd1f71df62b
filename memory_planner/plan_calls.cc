#include "memory_planner/plan_calls.h"

namespace kilonas::memory_planner {
namespace {

core::Shape RegionShape(const core::Region& r, int channels) { return {r.rows.size(), r.cols.size(), channels}; }

}  // namespace

std::vector<PlannedCall> PlanCalls(const core::Graph& graph, const MemoryPlan& plan) {
  std::vector<PlannedCall> calls;
  const core::KernelSet kernels = KernelsOf(plan.mode);
  auto call = [&](int index, const std::vector<core::Region>* regions) {
    if (plan.op_fused.at(index)) return;  // computed by the projection before it
    const core::Op& op = graph.op(index);
    PlannedCall c{index,
                  graph.InputOf(op).shape,
                  graph.OutputOf(op).shape,
                  kernels,
                  plan.op_writes_over.at(index) >= 0,
                  RunsWide(op, kernels)};
    if (regions) {
      c.in = RegionShape((*regions)[op.inputs[0]], c.in.c);
      c.out = RegionShape((*regions)[op.output], c.out.c);
    }
    calls.push_back(c);
  };
  int first_whole_op = 0;
  if (plan.patch) {
    for (const std::vector<core::Region>& regions : plan.patch->regions) {
      for (int i = 0; i < plan.patch->split_op; ++i) call(i, &regions);
    }
    first_whole_op = plan.patch->split_op;
  }
  for (int i = first_whole_op; i < static_cast<int>(graph.ops().size()); ++i) call(i, nullptr);
  return calls;
}

bool RunsWide(const core::Op& op, core::KernelSet kernels) {
  return op.weights == core::WeightLayout::kWide && core::HasWideKernel(op.kind, kernels);
}

core::CallVariant VariantOf(const core::Graph& graph, const PlannedCall& call) {
  return {graph.op(call.op).kind, call.kernels, call.writes_over, call.wide};
}

}  // namespace kilonas::memory_planner
