// Per-layer choice of how weights are stored (core::WeightLayout). Wide weights make an optimized
// pointwise layer faster (no SXTB16 in its inner loop) for twice its weights' flash, so the
// choice is a trade the flash budget decides: ChooseWeightLayouts stores a layer's weights wide
// where the LUT prices its wide calls cheaper, most cycles saved per extra flash byte first, as
// long as the model's flash estimate stays within the budget. The search prices every candidate
// with the layouts this picks and the export stores the winner with the same ones, so the
// latency and flash the search optimizes are the exported model's.
#pragma once

#include <cstdint>

#include "core/graph.h"
#include "latency_models/predictor.h"
#include "memory_planner/flash.h"
#include "memory_planner/memory_plan.h"

namespace kilonas::latency_models {

// A graph with its weight layouts chosen, and its deployed plan (PlanDeployed in the mode).
struct LaidOutGraph {
  core::Graph graph;
  memory_planner::MemoryPlan plan;
};

// `graph` with every op's weights int8 but those chosen wide. Layers whose int8 or wide calls the
// LUT does not price (fallback misses) stay int8, and so does everything in a mode that runs the
// reference kernels, or when `code` has no figure for the wide kernel. Deterministic.
LaidOutGraph ChooseWeightLayouts(core::Graph graph, memory_planner::PlanMode mode, const memory_planner::CodeSize& code,
                                 const LatencyPredictor& predictor, int64_t flash_budget);

}  // namespace kilonas::latency_models
