#include "memory_planner/lifetimes.h"

#include <algorithm>

namespace kilonas::memory_planner {

std::vector<Lifetime> ComputeLifetimes(const core::Graph& graph) {
  std::vector<Lifetime> lifetimes(graph.tensors().size());
  const int num_ops = static_cast<int>(graph.ops().size());
  lifetimes.at(graph.input()) = {0, 0};
  for (int i = 0; i < num_ops; ++i) {
    const core::Op& op = graph.op(i);
    lifetimes.at(op.output) = {i, i};
    for (int t : op.inputs) lifetimes.at(t).last = std::max(lifetimes.at(t).last, i);
  }
  lifetimes.at(graph.output()).last = num_ops - 1;
  return lifetimes;
}

}  // namespace kilonas::memory_planner
