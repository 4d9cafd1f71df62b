// Post-training quantization: float model + calibration images -> int8 engine::Model.
// Activations: asymmetric int8 per tensor from the min/max range seen on the calibration images
// (0 always inside); weights: symmetric int8 per output channel after folding batch norm;
// bias int32 at scale input x weight; requantization multipliers as Q31 + shift.
#pragma once

#include <vector>

#include "core/float_model.h"
#include "engine/model.h"

namespace kilonas::engine {

// Cost: one float forward pass per calibration image, then O(weights).
core::Result<Model> Quantize(const core::FloatModel& model, const std::vector<std::vector<float>>& calibration,
                             const ExecutionConfig& execution);

// Quantizes one HWC float image with the model's input scale and zero point.
std::vector<int8_t> QuantizeInput(const Model& model, const std::vector<float>& image);
// Dequantizes the output tensor.
std::vector<float> DequantizeOutput(const Model& model, const std::vector<int8_t>& output);

}  // namespace kilonas::engine
