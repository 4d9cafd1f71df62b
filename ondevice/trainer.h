// The training step of an update scheme, run on the host: the training program
// (training_program.h) executed over one arena of exactly its planned size, with the runtime's C
// kernels: the int8 forward pass (the reference kernels, bit-identical to the optimized ones),
// the loss (softmax cross-entropy), the backward steps in reverse order (fp32, kilonas_train.h),
// SGD on the int8 parameter copies in the arena. The generated firmware runs the same program,
// so the two compute the same bits. The model's scales and multipliers never change.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/schedule.h"
#include "kilonas_train.h"
#include "ondevice/training_program.h"

namespace kilonas::ondevice {

struct StepResult {
  float loss = 0;      // the sample's softmax cross-entropy before the update
  int predicted = -1;  // the forward pass's top-1 class
};

struct TrainerOptions {
  bool reorder = true;  // each update right after its layer's gradient (MCUNetV3); else all at the end
  // Keep copies of every forward tensor and of the gradients each update used (the arena reuses
  // their bytes), for checks against an independent autograd.
  bool record = false;
};

class Trainer {
 public:
  // Checks the scheme against the model and plans the step; the trainable parameters are copied
  // into the arena.
  static core::Result<Trainer> Create(const engine::Model& model, const UpdateScheme& scheme,
                                      const TrainerOptions& options = {});

  // One sample (int8 HWC, the model's input size) with its class: forward, loss, backward, its
  // gradients added to the batch's; the batch's update is applied with its last sample
  // (scheme.batch_size of them, gradients averaged). Fails when a kernel wrote past the arena.
  core::Result<StepResult> Step(const std::vector<int8_t>& input, int label);

  // The model with the parameters as trained so far.
  const engine::Model& model() const { return model_; }
  const TrainingProgram& program() const { return program_; }
  const TrainingGraph& training() const { return program_.training; }
  int64_t arena_bytes() const { return program_.layout.arena_bytes; }

  // With TrainerOptions::record: the real-valued gradients of the loss (summed over the last
  // batch) by op `index`'s weights (its updated channels; the rest zero) and bias, as the update
  // used them, and the last step's int8 forward values by tensor id.
  const std::vector<float>& WeightGradient(int index) const { return weight_grad_.at(index); }
  const std::vector<float>& BiasGradient(int index) const { return bias_grad_.at(index); }
  const std::vector<std::vector<int8_t>>& ForwardValues() const { return values_; }

 private:
  Trainer(const engine::Model& model, TrainingProgram program, const TrainerOptions& options);
  void Run(const TrainStep& step, int label, StepResult& result);
  void Forward(int index);
  void Backward(const TrainStep& step);
  void Update(int index);
  void SyncParameters();
  int8_t* At(int64_t offset) { return offset < 0 ? nullptr : reinterpret_cast<int8_t*>(arena_.data()) + offset; }
  float* FloatsAt(int64_t offset) { return reinterpret_cast<float*>(At(offset)); }
  bool ArenaIntact() const;

  engine::Model model_;
  TrainingProgram program_;
  TrainerOptions options_;
  std::vector<int32_t> arena_;                             // the planned bytes, then canary words
  std::vector<engine::KernelConstants> kernel_constants_;  // of frozen ops, as their forward kernel reads them
  std::vector<std::vector<float>> weight_scale_;
  std::vector<SgdSteps> sgd_;
  int sample_in_batch_ = 0;
  uint32_t rounding_ = KILONAS_SGD_ROUNDING_SEED;            // the weight updates' stochastic rounding stream
  std::vector<std::vector<int8_t>> values_;                  // recorded forward tensors
  std::vector<std::vector<float>> weight_grad_, bias_grad_;  // recorded at the updates
};

}  // namespace kilonas::ondevice
