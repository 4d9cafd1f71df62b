// The independent reference of on-device training's gradients: an int8 model's dequantized graph
// in LibTorch (float64), autograd on it. Each weighted op's real weights (int8 x the channel's
// scale) and real bias (int32 x input scale x weight scale) are leaf tensors; every op's output
// is fake-quantized to its tensor's int8 grid and the op's clamp with a straight-through
// gradient (rounded, or given, in the forward pass; identity in the backward); fused ReLU and
// ReLU6 are torch's relu and hardtanh (or gates by the int8 output, AutogradOptions); the loss
// is softmax cross-entropy on the logits (a final softmax folded in, as the trainer does).
// Nothing of the engine's kernels or the trainer is used.
#pragma once

#include <vector>

#include "core/status.h"
#include "engine/model.h"
#include "ondevice/training_codegen.h"
#include "ondevice/update_scheme.h"

namespace kilonas::pipeline {

struct AutogradGradients {
  double loss = 0;
  // Per op, in the engine's layouts (empty for ops without weights): d loss / d real weight and
  // d loss / d real bias.
  std::vector<std::vector<double>> weight, bias;
};

struct AutogradOptions {
  // When given (one int8 HWC vector per tensor of the graph), what each op's output is snapped to
  // instead of torch's own rounding: the engine's integer requantization rounds twice (TFLite's
  // doubling high multiply, then the rounding shift), so some values land one step from the
  // nearest, differences that accumulate with depth. With the engine's forward values the
  // comparison checks the backward pass alone.
  const std::vector<std::vector<int8_t>>* forward = nullptr;
  // Gate a fused ReLU / ReLU6 by its int8 output, open strictly inside the activation's range
  // (the trainer's rule, MCUNetV3's binary masks), instead of by torch's relu / hardtanh of the
  // float pre-activation: the two differ where a small positive value rounds to zero.
  bool gate_by_output = false;
};

// One int8 HWC input of the model's size and its class.
core::Result<AutogradGradients> Int8ModelAutograd(const engine::Model& model, const std::vector<int8_t>& input,
                                                  int label, const AutogradOptions& options = {});

// LibTorch's float fine-tune of the parameters a scheme updates, the reference of the int8
// trainer's: the dequantized graph as above (torch's own rounding and gates), SGD without
// momentum at the scheme's learning rate on the real values of the updated output channels'
// weights and of the updated biases, the samples in order (the scheme's batch averaged), then the
// top-1 class of each `test` input in the same float graph.
struct TorchFineTuneResult {
  std::vector<double> losses;  // per sample
  std::vector<int> predictions;
};
core::Result<TorchFineTuneResult> TorchFineTune(const engine::Model& model, const ondevice::UpdateScheme& scheme,
                                                const ondevice::TrainingSamples& samples,
                                                const std::vector<std::vector<int8_t>>& test);

}  // namespace kilonas::pipeline
