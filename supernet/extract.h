// Subnet extraction: the active subnet's weights copied out of the supernet as a standalone
// float network (core Graph + plain arrays in the engine's layouts, batch norm unfolded), which
// the engine's float reference runs to the same outputs and its quantizer turns into int8.
#pragma once

#include "core/float_model.h"
#include "supernet/supernet.h"

namespace kilonas::supernet {

core::Result<core::FloatModel> ExtractSubnet(Supernet& supernet, const core::SubnetConfig& config);

// One normalised, resized image [1, 1, r, r] as the engine's HWC float input.
std::vector<float> ToEngineInput(const torch::Tensor& image);

}  // namespace kilonas::supernet
