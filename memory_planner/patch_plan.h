// Patch-based execution of the first stage (MCUNetV2): ops [0, n) run once per spatial patch of
// their last output, a p x p grid. Each patch computes the receptive field it needs (halo), so
// intermediate buffers shrink to patch size; the stage output is written patch by patch into one
// whole buffer; the rest of the network runs layer by layer with in-place depthwise.
#pragma once

#include <vector>

#include "memory_planner/memory_plan.h"

namespace kilonas::memory_planner {

struct PatchConfig {
  int patches_per_side = 4;  // p: the stage output is split into p x p patches
  int split_op = 1;          // n: ops [0, n) form the patch stage
};

// Split points where patching is possible: every op before the split is spatially local, the only
// tensor read across the split is the output of op n-1, and the network input is not read after.
std::vector<int> PatchSplitCandidates(const core::Graph& graph);

// Regions of every stage tensor for one patch, walking the stage backwards from the patch of the
// stage output through each op's receptive field. O(stage ops).
std::vector<core::Region> PatchRegions(const core::Graph& graph, int split_op, const core::Region& tile);

// Plans with the patch stage; errors when the split or the patch count is not possible.
core::Result<MemoryPlan> PlanPatch(const core::Graph& graph, const PatchConfig& config,
                                   const PlanOptions& options = {});

struct PatchSearchOptions {
  int max_patches_per_side = 4;  // p in 1..max
  // Plans recomputing more than this share of the network MACs are rejected: the smallest-memory
  // split of a small network can cost +50% MACs, which no deployment would accept.
  double max_extra_mac_fraction = 0.2;
};

// Tries every (p, n) and returns the smallest arena (ties: fewer extra MACs). Errors when the
// graph has no patchable split. About 4 x splits plans: milliseconds for MobileNetV2.
core::Result<MemoryPlan> PlanBestPatch(const core::Graph& graph, const PlanOptions& options = {},
                                       const PatchSearchOptions& search = {});

// The plan of `mode` as such: per_layer, inplace, or the best patch plan (an error when the graph
// has no patchable split). The one dispatch over plan modes; reports show these per mode.
core::Result<MemoryPlan> PlanForMode(const core::Graph& graph, PlanMode mode, const PlanOptions& options = {},
                                     const PatchSearchOptions& search = {});

// The plan the engine executes a graph with in `mode`: per_layer and inplace as planned; patch the
// best patch plan when its arena is smaller than the inplace one, else the inplace plan (patching
// would cost MACs for nothing). The search prices, and the export runs, this one plan.
MemoryPlan PlanDeployed(const core::Graph& graph, PlanMode mode, const PlanOptions& options = {},
                        const PatchSearchOptions& search = {});

}  // namespace kilonas::memory_planner
