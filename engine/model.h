// engine::Model: the int8 network the engine runs. The Graph's tensors carry their scale and
// zero point; each op has its quantized constants (flash); the execution config says which plan
// mode and kernels the engine uses, and the memory planner turns it into the arena layout.
#pragma once

#include <cstdint>
#include <vector>

#include "core/graph.h"
#include "core/status.h"
#include "engine/quant_math.h"
#include "memory_planner/memory_plan.h"

namespace kilonas::engine {

// Largest |bias| + 256 x sum|weights| of an output channel (a bound of its accumulator): below
// 2^30 so that the optimized kernels can double accumulators in int32.
inline constexpr int64_t kMaxAccumulatorBound = (int64_t{1} << 30) - 1;

struct OpConstants {
  std::vector<int8_t> weights;  // conv [Cout][k][k][Cin], pointwise/FC [Cout][Cin], depthwise [k][k][C]
  std::vector<int32_t> bias, multiplier, shift;  // per output channel
  int32_t act_min = -128, act_max = 127;
  // add: TFLite's scheme, both inputs rescaled to twice the larger scale then to the output.
  int32_t left_shift = 0;
  int32_t input1_multiplier = 0, input1_shift = 0;
  int32_t input2_multiplier = 0, input2_shift = 0;
  int32_t output_multiplier = 0, output_shift = 0;  // add and global average pool
};

// An add's constants from its rescaling (the quantizer's and the importer's).
void SetAddRescaling(const AddRescaling& r, OpConstants& c);

// kilonas_left_shift_headroom of an op with weights (-1 without): the largest left shift under which
// its accumulators, doubled, stay inside int32.
int32_t LeftShiftHeadroom(const core::Op& op, const OpConstants& c);

struct ExecutionConfig {
  memory_planner::PlanMode mode = memory_planner::PlanMode::kInPlace;
  bool input_in_arena = true;
  int patches_per_side = 0;  // patch mode
  int split_op = 0;          // patch mode
};

struct Model {
  core::Graph graph;
  std::vector<OpConstants> constants;  // one per op
  ExecutionConfig execution;
  // How the float input was made from 8-bit pixels: (pixel / 255 - mean[c]) / std[c] per channel.
  // Empty in models written before files carried it.
  std::vector<float> input_mean, input_std;
};

// The first output channel of an op with weights whose largest possible accumulator (|bias| +
// 256 x sum|w|), shifted left and requantized, would leave int32 with the output zero point
// added, or -1. ValidateModel does not require it: a channel whose calibration saw only zeros
// gets a huge multiplier and never meets a large accumulator. The .tflite importer does, since a
// file may carry any scales (TFLite Micro's arithmetic assumes the same).
int RequantizationOverflows(const core::Op& op, const OpConstants& c);

// Scale and zero point of a quantized tensor.
float TensorScale(const core::Tensor& tensor);
int32_t TensorZeroPoint(const core::Tensor& tensor);

// The per-output-channel scales of op `index`'s weights (a weight's real value is int8 x scale),
// from its requantization multipliers (input scale x weight scale / output scale).
std::vector<float> WeightScalesOf(const Model& model, int index);

// Checks the model is complete and consistent (every tensor quantized, constants sized by the
// graph); errors name the op or tensor.
core::Status ValidateModel(const Model& model);

// The execution config that makes PlanModel reproduce `plan` (its mode, input placement and,
// for patch plans, the patch count and split).
ExecutionConfig ExecutionFor(const memory_planner::MemoryPlan& plan);

// The memory plan the engine executes the model with (planner run on the execution config).
core::Result<memory_planner::MemoryPlan> PlanModel(const Model& model);

}  // namespace kilonas::engine
