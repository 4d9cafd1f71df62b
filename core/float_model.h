// A float network as the supernet hands it over: the Graph plus plain weight arrays per op (same
// layouts as the int8 constants) with optional batch norm to fold. Also the float reference
// forward pass used for calibration and as the accuracy yardstick of the int8 engine.
#pragma once

#include <random>
#include <vector>

#include "core/graph.h"
#include "core/status.h"

namespace kilonas::core {

struct FloatOpWeights {
  std::vector<float> weights;  // conv [Cout][k][k][Cin], pointwise/FC [Cout][Cin], depthwise [k][k][C]
  std::vector<float> bias;     // [Cout]; empty = zeros
  // Batch norm after the conv, folded by the quantizer; empty = none.
  std::vector<float> bn_gamma, bn_beta, bn_mean, bn_var;
  float bn_eps = 1e-5f;
};

struct FloatModel {
  Graph graph;
  std::vector<FloatOpWeights> ops;  // one per op (empty for add and pool)
};

// Errors name the op whose arrays do not match the graph.
Status ValidateFloatModel(const FloatModel& model);

// Weights and bias with batch norm folded in: w' = w * g / sqrt(v + eps), b' = (b - m) * g /
// sqrt(v + eps) + beta, per output channel.
FloatOpWeights FoldBatchNorm(const Graph& graph, const Op& op, const FloatOpWeights& w);

// Float forward pass of one HWC image. Returns every tensor's values (index = tensor id).
std::vector<std::vector<float>> RunFloat(const FloatModel& model, const std::vector<float>& input);

// He-initialised random weights with random batch norm, for tests and benchmarks.
FloatModel RandomFloatModel(const Graph& graph, std::mt19937& rng);

}  // namespace kilonas::core
