// Latency of a Graph on one MCU: the sum of its ops' LUT cycles. Ops missing from the LUT fall
// back to a per-op-kind linear model, least squares on (MACs, output elements, input elements,
// 1) over that kind's LUT entries (Eigen); fallback uses are counted and reported.
// Cost: one hash lookup per op, microseconds per network.
#pragma once

#include <array>

#include "core/graph.h"
#include "latency_models/lut.h"

namespace kilonas::latency_models {

struct LatencyPrediction {
  double cycles = 0;
  double ms = 0;
  int ops = 0;
  int misses = 0;  // ops priced by the fallback model
};

class LatencyPredictor {
 public:
  explicit LatencyPredictor(LatencyLut lut);

  LatencyPrediction Predict(const core::Graph& graph) const;
  // Cycles of one op; *miss tells whether the fallback model priced it.
  double Cycles(const OpKey& key, bool* miss) const;
  double Fallback(const OpKey& key) const;  // the fitted model alone
  const LatencyLut& lut() const { return lut_; }

 private:
  LatencyLut lut_;
  std::array<std::array<double, 4>, core::kAllOpKinds.size()> coefficients_{};
};

}  // namespace kilonas::latency_models
