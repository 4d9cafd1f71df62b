// Which parameters of a deployed int8 model a fine-tune on the device updates, as data (MCUNetV3's
// sparse update): per layer with weights, its bias and the first `ratio` x C output channels of
// its weights (ratio 0, 1/8, 1/4, 1/2 or 1), plus the plain SGD settings. A JSON file names the
// model it was made for; ValidateUpdateScheme holds it against that model (docs/ondevice.md).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "engine/model.h"

namespace kilonas::ondevice {

// The share of a layer's output channels whose weights are updated, in eighths: 0, 1, 2, 4 or 8.
struct ChannelRatio {
  int eighths = 0;
  // "0", "1/8", "1/4", "1/2", "1".
  std::string Text() const;
  // The updated output channels of a layer of `channels`: the first ceil(ratio x channels).
  int Channels(int channels) const { return (channels * eighths + 7) / 8; }
};
// The ratio a text names; an error lists the accepted ones.
core::Result<ChannelRatio> ParseChannelRatio(const std::string& text);

struct LayerUpdate {
  std::string layer;  // an op's name in the model's graph
  bool bias = false;
  ChannelRatio weights;
};

struct UpdateScheme {
  std::string model;                // the model file the scheme was made for
  std::vector<LayerUpdate> layers;  // each layer at most once, in any order
  double learning_rate = 0.01;      // SGD, no momentum
  int steps = 100;
  int batch_size = 1;  // as on the device
  // Quantization-aware scaling: each output channel's weight gradient times s_W^-2 and bias
  // gradient times s^-2 (the int8 graph's scales), so that SGD steps as in float.
  bool qas = true;
  // The int8 weight updates rounded stochastically (unbiased: steps below half a unit add up on
  // average, kilonas_sgd_weights) rather than to nearest (where they are lost).
  bool stochastic_rounding = true;
};

// Reads a scheme file: unknown keys, wrong types and values out of range are errors naming the
// file and the key. It is not checked against a model here (ValidateUpdateScheme).
core::Result<UpdateScheme> LoadUpdateScheme(const std::string& path);
core::Result<UpdateScheme> ParseUpdateScheme(const std::string& text, const std::string& source);
// The JSON text LoadUpdateScheme reads back to the same scheme.
std::string UpdateSchemeJson(const UpdateScheme& scheme);
core::Status SaveUpdateScheme(const UpdateScheme& scheme, const std::string& path);  // atomic

// The scheme against its model: every layer exists, has weights (convolutions, depthwise, fully
// connected) and is named once, and something is updated. Errors name `source` and the layer.
core::Status ValidateUpdateScheme(const UpdateScheme& scheme, const engine::Model& model, const std::string& source);

// The ops with weights, in execution order: what a scheme can name.
std::vector<int> WeightedOps(const core::Graph& graph);
// The op of that name, -1 for none.
int OpNamed(const core::Graph& graph, const std::string& name);

// Parameters a step updates (biases plus the weights of the updated channels).
int64_t UpdatedParameters(const UpdateScheme& scheme, const engine::Model& model);

// The schemes MCUNetV3 compares against: the biases of the last k layers with weights, and those
// layers' biases and whole weights ("update the last k layers").
UpdateScheme LastBiases(const engine::Model& model, int k);
UpdateScheme LastLayers(const engine::Model& model, int k);

// For new classes: the classifier (the last layer with weights) re-initialised, small random int8
// weights (uniform in [-16, 16], from `seed`) and zero biases, its scales kept; returns its name.
// `scheme` is made to update its weights and bias. An error where the last layer with weights
// does not produce the logits.
core::Result<std::string> ReinitialiseClassifier(engine::Model& model, UpdateScheme& scheme, uint32_t seed);

}  // namespace kilonas::ondevice
