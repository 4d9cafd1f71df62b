// The training step of an update scheme, run on the host with the runtime's C kernels: the int8
// forward pass (the reference kernels, bit-identical to the optimized ones the firmware runs),
// the loss (softmax cross-entropy), the backward steps of the training graph in reverse order
// (fp32, kilonas_train.h), and SGD on the int8 parameters right after each layer's gradient (the
// reordered step: a layer's input gradient is computed first, with the weights it ran with).
// The model's constants are updated in place; its scales and multipliers never change.
#pragma once

#include <cstdint>
#include <vector>

#include "kilonas_train.h"
#include "ondevice/training_graph.h"
#include "ondevice/update_scheme.h"

namespace kilonas::ondevice {

struct StepResult {
  float loss = 0;      // the sample's softmax cross-entropy before the update
  int predicted = -1;  // the forward pass's top-1 class
};

class Trainer {
 public:
  // Checks the scheme against the model (DeriveTrainingGraph) and copies the model.
  static core::Result<Trainer> Create(const engine::Model& model, const UpdateScheme& scheme);

  // One sample (int8 HWC, the model's input size) with its class: forward, loss, backward, its
  // gradients added to the batch's; the batch's update is applied with its last sample
  // (scheme.batch_size of them, gradients averaged).
  core::Result<StepResult> Step(const std::vector<int8_t>& input, int label);

  const engine::Model& model() const { return model_; }
  const TrainingGraph& training() const { return training_; }
  // The real-valued gradients of the loss (summed over the last batch) by op `index`'s weights
  // (its updated channels; the rest zero) and bias: what the update used, for checks against an
  // independent autograd.
  const std::vector<float>& WeightGradient(int index) const { return weight_grad_.at(index); }
  const std::vector<float>& BiasGradient(int index) const { return bias_grad_.at(index); }
  // The last step's forward pass: every tensor's int8 values (HWC), by tensor id.
  const std::vector<std::vector<int8_t>>& ForwardValues() const { return values_; }
  // The per-output-channel scale of op `index`'s weights (its real weights are int8 x scale).
  const std::vector<float>& WeightScales(int index) const { return weight_scale_.at(index); }

 private:
  Trainer(const engine::Model& model, const UpdateScheme& scheme, TrainingGraph training);
  void Forward(const std::vector<int8_t>& input);
  void Backward(bool update);
  void BackwardOp(int index, bool update);
  void Update(int index);
  kilonas_grad_params GradParams(int index) const;

  engine::Model model_;
  UpdateScheme scheme_;
  TrainingGraph training_;
  std::vector<std::vector<int8_t>> values_;  // forward tensors
  std::vector<std::vector<uint8_t>> gates_;  // per masked op, a bit per output value
  std::vector<std::vector<float>> grad_;     // per tensor on the backward path
  std::vector<std::vector<float>> weight_grad_, bias_grad_;   // per op
  std::vector<std::vector<float>> weight_scale_;              // per op with weights
  std::vector<std::vector<float>> weight_step_, bias_step_;   // per trainable op: the SGD step factors
  std::vector<int32_t> bias_limit_;                           // per op
  int samples_in_batch_ = 0;
};

}  // namespace kilonas::ondevice
