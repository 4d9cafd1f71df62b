// The SRAM of one training step (MCUNetV3's memory figures), planned with the arena planner over
// the step's timeline: the forward ops, the loss, then the backward steps in reverse order. The
// arena holds the forward tensors (each its own buffer as per_layer plans them; one the backward
// pass reads lives until that step), the gates of the ReLU / ReLU6 ops on the backward path (a
// bit per value), the fp32 gradients of tensors, the fp32 weight and bias
// gradients, and the SRAM copies of the trainable parameters (int8 weights of the updated
// channels, int32 biases; frozen weights stay in flash). Backward kernels' scratch is not counted
// yet (they do not exist yet).
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
};

struct TrainingMemory {
  int64_t peak_bytes = 0;       // the arena of the step
  int64_t inference_bytes = 0;  // the forward pass alone, same buffers and planner
  // The most bytes live at one step, of the training step and of the forward pass alone: lower
  // bounds of any arena, independent of how the planner packs.
  int64_t live_bytes = 0, inference_live_bytes = 0;
  int64_t kept_bytes = 0;            // forward tensors the backward pass reads
  int64_t parameter_copy_bytes = 0;  // trainable weights and biases in SRAM
  int steps = 0;                     // forward ops + loss + backward steps (+ the final updates)
};

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
