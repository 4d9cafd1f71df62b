// Tensor lifetimes over the execution order of a Graph.
#pragma once

#include <vector>

#include "core/graph.h"

namespace kilonas::memory_planner {

// Op indices during which a tensor must hold its data, inclusive. first == -1: never used.
struct Lifetime {
  int first = -1;
  int last = -1;
  bool used() const { return first >= 0; }
};

// The graph input lives from op 0 to its last reader; an op output from its producer to its last
// reader; the graph output to the end. O(ops + tensors).
std::vector<Lifetime> ComputeLifetimes(const core::Graph& graph);

}  // namespace kilonas::memory_planner
