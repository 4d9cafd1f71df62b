// Post-training quantization: float model + calibration images -> int8 engine::Model.
// Activations: asymmetric int8 per tensor from the calibrated range (min/max or a percentile of
// the absolute values); weights: symmetric int8 per output channel after folding batch norm;
// bias int32 at scale input x weight; requantization multipliers as Q31 + shift.
#pragma once

#include <vector>

#include "engine/float_model.h"
#include "engine/model.h"

namespace kilonas::engine {

struct CalibrationOptions {
  enum class Method { kMinMax, kPercentile };
  Method method = Method::kMinMax;
  double percentile = 99.99;  // kPercentile: range clipped to this percentile of each tensor's values
};

// Cost: one float forward pass per calibration image, then O(weights).
core::Result<Model> Quantize(const FloatModel& model, const std::vector<std::vector<float>>& calibration,
                             const CalibrationOptions& options, const ExecutionConfig& execution);

// Quantizes one HWC float image with the model's input scale and zero point.
std::vector<int8_t> QuantizeInput(const Model& model, const std::vector<float>& image);
// Dequantizes the output tensor.
std::vector<float> DequantizeOutput(const Model& model, const std::vector<int8_t>& output);

}  // namespace kilonas::engine
