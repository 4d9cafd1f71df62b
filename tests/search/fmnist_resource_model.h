// The resource model the search tests share: the fmnist space, inplace plans, the committed
// Cortex-M7 code sizes and stm32f746 LUT (read from the repository, whatever the working directory).
#pragma once

#include "search/resources.h"
#include "tests/support/source_path.h"

namespace kilonas::search::testing {

inline ResourceModel FmnistResourceModel() {
  return ResourceModel(
      core::FashionMnistSpace(), memory_planner::PlanMode::kInPlace,
      memory_planner::LoadCodeSize(kilonas::testing::SourcePath("hw_profiles/code_size/cortex-m7.json")).value(),
      latency_models::LatencyPredictor(
          latency_models::LoadLut(kilonas::testing::SourcePath("latency_models/luts/stm32f746.json")).value()));
}

}  // namespace kilonas::search::testing
