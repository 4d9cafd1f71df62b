// The SRAM of one training step (MCUNetV3's memory figures), planned with the arena planner over
// the step's timeline: the forward ops, the loss, then the backward steps in reverse order. The
// arena holds the forward tensors (each its own buffer as per_layer plans them; one the backward
// pass reads lives until that step), the gates of the ReLU / ReLU6 ops on the backward path (a
// bit per value), the fp32 gradients of tensors, the fp32 weight and bias
// gradients, and the SRAM copies of the trainable parameters (the int8 weights of a layer with
// updated channels, whole: the forward kernel reads one weight array; the int32 biases of a layer
// whose biases train; frozen ones stay in flash). The backward kernels need no scratch.
#pragma once

#include "memory_planner/memory_plan.h"
#include "ondevice/training_graph.h"

namespace kilonas::ondevice {

struct TrainingMemoryOptions {
  // MCUNetV3's reordering: each layer's update applied right after its gradient is computed, so
  // the gradient's buffer is freed at once; without it every gradient lives until the updates at
  // the end of the step.
  bool reorder = true;
  // The forward pass as an inference plan runs it (in place, fused adds, a patch stage, with
  // their scratch), the buffers of tensors the backward pass reads kept longer; nullptr: every
  // tensor in its own buffer. A plan that overwrites such a tensor (in place, a fused add) or
  // holds it only patch by patch cannot serve: an error names the tensor.
  const memory_planner::MemoryPlan* forward = nullptr;
  // Samples per update: above 1 the weight and bias gradients live across the whole step (they
  // sum the batch's samples) and the updates wait for the batch's last sample.
  int batch = 1;
  // Per op, the scratch bytes its forward kernel needs, placed beside its forward step; empty:
  // none.
  std::vector<int64_t> forward_scratch;
  // With every forward tensor in its own buffer: a depthwise layer whose input nothing reads
  // after it (the backward pass included) writes its output over that input, as the inplace plan
  // runs it (TrainingLayout::in_place says which).
  bool in_place = false;
};

// Where one training step's buffers lie in its arena (byte offsets, -1 for none): what the host
// trainer and the generated firmware both run on. Planned with every forward tensor in its own
// buffer (no inference plan's forward).
struct TrainingLayout {
  int64_t arena_bytes = 0;
  std::vector<int64_t> value, gradient;                 // per tensor: its int8 values, its fp32 gradient
  std::vector<int64_t> gate;                            // per op: the bits of its gated output
  std::vector<int64_t> weight_gradient, bias_gradient;  // per op: fp32, summed over a batch
  std::vector<int64_t> weight_copy, bias_copy;          // per op: the int8 weights and int32 biases in SRAM
  std::vector<int64_t> scratch;                         // per op: its forward kernel's scratch
  std::vector<bool> in_place;  // per op: its output shares its input's buffer (value[out] == value[in])
};

// The ops that run in place under TrainingMemoryOptions::in_place: a depthwise layer the planner
// may run in place (memory_planner::InPlaceAllowed) whose input the backward pass does not keep.
std::vector<bool> TrainingInPlaceOps(const core::Graph& graph, const TrainingGraph& training);

struct TrainingMemory {
  int64_t peak_bytes = 0;       // the arena of the step
  int64_t inference_bytes = 0;  // the forward pass alone, same buffers and planner
  // The most bytes live at one step, of the training step and of the forward pass alone: lower
  // bounds of any arena, independent of how the planner packs.
  int64_t live_bytes = 0, inference_live_bytes = 0;
  int64_t kept_bytes = 0;            // forward tensors the backward pass reads
  int64_t parameter_copy_bytes = 0;  // trainable weights and biases in SRAM
  int steps = 0;                     // forward ops + loss + backward steps (+ the final updates)
  TrainingLayout layout;             // where the buffers lie (own forward buffers only; else empty)
};

// The fp32 values of op `index`'s weight gradient buffer: the updated channels of a [Cout][...]
// layout (a prefix), the whole [k][k][C] of a depthwise layer (its channels interleave).
int64_t WeightGradientValues(const core::Graph& graph, int index, const OpTraining& o);

core::Result<TrainingMemory> PlanTrainingMemory(const core::Graph& graph, const TrainingGraph& training,
                                                const TrainingMemoryOptions& options = {});

// The inference plan of `mode` whose forward pass the step can share: no op writes over a tensor
// the backward pass reads (PlanOptions::preserve).
memory_planner::MemoryPlan TrainableForwardPlan(const core::Graph& graph, const TrainingGraph& training,
                                                memory_planner::PlanMode mode);

// The step planned both ways, with every forward tensor in its own buffer and with the forward
// pass as `mode`'s inference plan runs it (TrainableForwardPlan; not possible where the patch
// stage holds a kept tensor only patch by patch), and the smaller arena taken.
core::Result<TrainingMemory> PlanTrainingStep(const core::Graph& graph, const TrainingGraph& training,
                                              memory_planner::PlanMode mode, bool reorder = true);

}  // namespace kilonas::ondevice
