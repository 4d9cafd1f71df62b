// Latency of a Graph executed with a MemoryPlan on one MCU: the sum of the LUT cycles of the
// kernel calls the plan makes (ExecutedCalls: patch-stage ops once per patch at their patch
// shapes, reference kernels in per_layer mode, fused adds free). Calls missing from the LUT fall
// back to a linear model of their group (op kind, kernel, stride, kernel set, writes over; or a
// coarser group when that has few entries): least squares on (MACs, output elements, input
// elements, output pixels, output rows x channels, channels, 1) over the group's LUT entries
// (Eigen); fallback uses are counted.
// Cost: one hash lookup per call, microseconds per network.
#pragma once

#include <array>
#include <string>
#include <unordered_map>

#include "core/graph.h"
#include "latency_models/lut.h"

namespace kilonas::latency_models {

constexpr int kFeatures = 7;  // of the fallback model: FeaturesOf in predictor.cc
using Features = std::array<double, kFeatures>;

struct LatencyPrediction {
  double cycles = 0;
  double ms = 0;
  int calls = 0;
  int misses = 0;  // calls priced by the fallback model
};

class LatencyPredictor {
 public:
  explicit LatencyPredictor(LatencyLut lut);

  LatencyPrediction Predict(const core::Graph& graph, const memory_planner::MemoryPlan& plan) const;
  // Cycles of one op; *miss tells whether the fallback model priced it.
  double Cycles(const OpKey& key, bool* miss) const;
  double Fallback(const OpKey& key) const;  // the fitted model alone
  const LatencyLut& lut() const { return lut_; }

 private:
  LatencyLut lut_;
  std::unordered_map<std::string, Features> coefficients_;  // per fallback group
};

}  // namespace kilonas::latency_models
