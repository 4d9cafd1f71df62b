// The cheap side of a candidate's fitness: peak SRAM from the memory planner (the plan the
// engine deploys in the chosen execution mode), flash from the flash estimate, latency of that
// plan's kernel calls from the MCU's LUT, MACs. No LibTorch.
#pragma once

#include <optional>

#include "core/hw_profile.h"
#include "core/ofa_space.h"
#include "latency_models/predictor.h"
#include "latency_models/weight_layouts.h"
#include "memory_planner/flash.h"
#include "memory_planner/memory_plan.h"
#include "search/objectives.h"

namespace kilonas::search {

// A network is priced as it is deployed: with the weight layouts ChooseWeightLayouts picks for
// its plan, the LUT and `wide_flash_budget` (0: int8 weights everywhere; without a LUT too).
class ResourceModel {
 public:
  ResourceModel(core::OfaSpace space, memory_planner::PlanMode mode, memory_planner::CodeSize code,
                std::optional<latency_models::LatencyPredictor> latency, int64_t wide_flash_budget = 0);
  // Thread-safe (const, no shared mutable state): called from OpenMP loops.
  core::Result<Resources> Measure(const core::SubnetConfig& config) const;
  // Any network's resources, priced the same way (the plain-CNN baseline is not in the space).
  core::Result<Resources> MeasureGraph(const core::Graph& graph) const;
  // `graph` with the weight layouts it is priced and exported with, and its deployed plan.
  latency_models::LaidOutGraph Deployed(core::Graph graph) const;
  const core::OfaSpace& space() const { return space_; }

 private:
  core::OfaSpace space_;
  memory_planner::PlanMode mode_;
  memory_planner::CodeSize code_;
  std::optional<latency_models::LatencyPredictor> latency_;
  int64_t wide_flash_budget_ = 0;
};

}  // namespace kilonas::search
