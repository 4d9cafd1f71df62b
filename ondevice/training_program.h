// The training step as a program: the exact sequence of kernel calls one sample runs, over the
// buffers of the planned arena (TrainingLayout), with the constants each call reads. The host
// trainer executes it and the firmware generator prints it, so both run the same calls in the
// same order on the same bytes (the schedule of inference, engine/schedule.h, for training).
#pragma once

#include <cstdint>
#include <vector>

#include "engine/kernel_table.h"
#include "kilonas_runtime.h"
#include "kilonas_train.h"
#include "ondevice/training_graph.h"
#include "ondevice/training_memory.h"

namespace kilonas::ondevice {

enum class TrainStepKind {
  kForward,     // the op's forward kernel (forward_kernel): its inputs' values -> its output's
  kGateMake,    // the bits of the op's int8 output where its activation passes the gradient
  kZero,        // `tensor`'s gradient set to zero (its first writer follows)
  kLoss,        // softmax cross-entropy at the logits: their gradient, the sample's loss
  kGateApply,   // the op's output gradient gated: by its bits, or by its output kept whole
  kGradInput,   // the op's input-gradient kernel into its input `input`'s gradient
  kGradWeight,  // the op's weight-gradient kernel (its updated channels)
  kBiasGrad,    // the op's bias gradient
  kZeroParams,  // the op's weight and bias gradients set to zero (first sample of a batch)
  kUpdate,      // SGD on the op's parameter copies (last sample of a batch)
};

struct TrainStep {
  TrainStepKind kind = TrainStepKind::kForward;
  int op = -1;
  int tensor = -1;  // kZero
  int input = 0;    // kGradInput
};

struct TrainingProgram {
  UpdateScheme scheme;
  TrainingGraph training;
  TrainingLayout layout;
  std::vector<TrainStep> steps;  // one sample, in order
  // Per op, its forward kernel: the optimized one it is deployed with where its parameters are
  // frozen (with its scratch in the arena); the reference one where they train (their copies are
  // plain int8 weights and int32 biases; the optimized kernels read constants derived at export).
  std::vector<engine::Kernel> forward_kernel;
};

// The program of `scheme` on `model`: the training graph, the memory planned with own forward
// buffers (reordered updates unless `reorder` is false), the calls in order.
core::Result<TrainingProgram> BuildTrainingProgram(const engine::Model& model, const UpdateScheme& scheme,
                                                   bool reorder = true);

// Whether a step runs for this sample of the batch (kZeroParams on its first, kUpdate on its last).
bool RunsForSample(const TrainStep& step, int sample_in_batch, int batch);

// ---- The constants the calls read: the one definition for the host and the firmware. ----

// Where the gradient at a fused activation's output passes (the open interval of
// kilonas_gate_make): strictly inside the range the activation clamps to. ReLU has no upper bound
// (an output at 127 may be saturated, but nothing in the int8 value says so).
struct GateBounds {
  int32_t lo = -129, hi = 128;
};
GateBounds GateOf(const engine::Model& model, int index);

// The backward kernels' parameters of op `index`; `weights` is where its int8 weights are read
// (its SRAM copy when it trains them, else its constants), `weight_scale` its channels' scales.
kilonas_grad_params GradParamsOf(const engine::Model& model, const TrainingGraph& training, int index,
                                 const int8_t* weights, const float* weight_scale);

// The SGD steps of op `index` per output channel, in int8 units per unit of real gradient: the
// learning rate over the batch, times (QAS) 1 / scale or (plain int8 SGD) scale, of the weights
// (s_W) and the biases (input scale x s_W).
struct SgdSteps {
  std::vector<float> weight, bias;
  int32_t bias_limit = 0;  // |bias| under which the accumulator bound of the engine holds
};
SgdSteps SgdStepsOf(const engine::Model& model, const UpdateScheme& scheme, int index);

}  // namespace kilonas::ondevice
