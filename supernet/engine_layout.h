// Tensors <-> the engine's weight arrays (core/float_model.h), in one place: conv weights are
// [out][k][k][in] in the engine and [out, in, k, k] in torch; depthwise [k][k][C] and [C, 1, k, k].
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/graph.h"

namespace kilonas::supernet {

// A float32 copy of `v` with `shape`.
torch::Tensor FromVector(const std::vector<float>& v, std::vector<int64_t> shape);
// The values of `t` (any layout or dtype) as float32 in logical (row-major) order.
std::vector<float> ToVector(const torch::Tensor& t);

// A conv or depthwise weight array of `op` (in -> out channels) as a torch weight, and back.
torch::Tensor ConvFromEngine(const std::vector<float>& w, const core::Op& op, int in, int out);
std::vector<float> ConvToEngine(const torch::Tensor& w, const core::Op& op);

}  // namespace kilonas::supernet
