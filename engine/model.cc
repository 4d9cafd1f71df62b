#include "engine/model.h"

#include <algorithm>
#include <cmath>

#include "core/kernel_registry.h"
#include "engine/quant_math.h"
#include "kilonas_runtime.h"
#include "memory_planner/patch_plan.h"

namespace kilonas::engine {
namespace {

// Every int32 accumulation of the kernels stays in range: per output channel
// |bias| + 256 * sum|w| (inputs plus offset lie in [-256, 255]) below 2^30 for ops with weights,
// so that the optimized kernels can double it (kilonas_output_fast); the add's
// rescaled inputs (255 << left_shift, shrunk by multipliers < 1); the pool's sum over pixels.
bool AccumulatorsFit(const core::Graph& g, const core::Op& op, const OpConstants& c) {
  const int64_t kMax = INT32_MAX;
  if (op.kind == core::OpKind::kAdd) {
    return c.left_shift <= 20 && c.input1_shift <= 0 && c.input2_shift <= 0;
  }
  if (op.kind == core::OpKind::kGlobalAvgPool) {
    const core::Shape& in = g.InputOf(op).shape;
    return static_cast<int64_t>(in.h) * in.w * 256 <= kMax;
  }
  return c.bias.empty() || LeftShiftHeadroom(op, c) >= 0;
}

// An int8 softmax as TFLite defines it: output scale 1/256 and zero point -128 (within TFLite
// Micro's tolerance), its input scaling a multiplier with a left shift, rows short enough for the
// sum of exps (Q12.19: depth x 2^19 < 2^31).
core::Status SoftmaxValid(const core::Graph& g, const core::Op& op, const OpConstants& c) {
  const core::Tensor& out = g.OutputOf(op);
  if (std::abs(TensorScale(out) - kSoftmaxOutputQuant.scale) > 0.001f * kSoftmaxOutputQuant.scale ||
      TensorZeroPoint(out) != kSoftmaxOutputQuant.zero_point) {
    return core::Status::Fail("op '" + op.name + "': a softmax output must have scale 1/256 and zero point -128");
  }
  if (c.output_multiplier <= 0 || c.output_shift < 0) {
    return core::Status::Fail("op '" + op.name +
                              "': the softmax input scaling must be a positive multiplier with a "
                              "left shift");
  }
  if (g.InputOf(op).shape.c >= 4096) {
    return core::Status::Fail("op '" + op.name + "': softmax over more than 4095 values is not supported");
  }
  return core::Status::Ok();
}

// Every kernel of the op's kind computes its window and stride (the registry's claims): the
// model can run in any mode.
core::Status KernelsCompute(const core::Op& op) {
  const std::string kind(core::Traits(op.kind).name);
  const int max_kernel = core::MaxKernelOf(op.kind), max_stride = core::MaxStrideOf(op.kind);
  if (max_kernel > 0 && op.kernel > max_kernel) {
    return core::Status::Fail("op '" + op.name + "': " + kind + " kernels larger than " + std::to_string(max_kernel) +
                              " are not supported");
  }
  if (max_stride > 0 && op.stride > max_stride) {
    return core::Status::Fail("op '" + op.name + "': " + kind + " strides larger than " + std::to_string(max_stride) +
                              " are not supported");
  }
  return core::Status::Ok();
}

}  // namespace

void SetAddRescaling(const AddRescaling& r, OpConstants& c) {
  c.left_shift = r.left_shift;
  c.input1_multiplier = r.input1.multiplier;
  c.input1_shift = r.input1.shift;
  c.input2_multiplier = r.input2.multiplier;
  c.input2_shift = r.input2.shift;
  c.output_multiplier = r.output.multiplier;
  c.output_shift = r.output.shift;
}

int32_t LeftShiftHeadroom(const core::Op& op, const OpConstants& c) {
  const auto channels = static_cast<int32_t>(c.bias.size());
  if (channels == 0) return -1;
  return kilonas_left_shift_headroom(c.weights.data(), c.bias.data(), channels,
                                     static_cast<int32_t>(c.weights.size()) / channels,
                                     op.kind == core::OpKind::kDepthwiseConv2d);
}

int RequantizationOverflows(const core::Op& op, const OpConstants& c) {
  const size_t channels = c.bias.size();
  if (channels == 0) return -1;
  const size_t per_channel = c.weights.size() / channels;
  const bool depthwise = op.kind == core::OpKind::kDepthwiseConv2d;
  for (size_t ch = 0; ch < channels; ++ch) {
    double bound = std::abs(static_cast<double>(c.bias[ch]));
    for (size_t j = 0; j < per_channel; ++j)
      bound += 256.0 * std::abs(c.weights[depthwise ? j * channels + ch : ch * per_channel + j]);
    const double shifted = std::ldexp(bound, std::max(c.shift[ch], 0));
    const double requantized = std::ldexp(bound * c.multiplier[ch], c.shift[ch] - 31);
    if (shifted >= 2147483647.0 || requantized + 512 >= 2147483647.0) return static_cast<int>(ch);
  }
  return -1;
}

float TensorScale(const core::Tensor& tensor) { return tensor.quant.scales.at(0); }
int32_t TensorZeroPoint(const core::Tensor& tensor) { return tensor.quant.zero_points.at(0); }

std::vector<float> WeightScalesOf(const Model& model, int index) {
  const core::Op& op = model.graph.op(index);
  const OpConstants& c = model.constants.at(index);
  const double in = TensorScale(model.graph.InputOf(op)), out = TensorScale(model.graph.OutputOf(op));
  std::vector<float> scales;
  for (size_t ch = 0; ch < c.multiplier.size(); ++ch) {
    scales.push_back(static_cast<float>(RealOf({c.multiplier[ch], c.shift[ch]}) * out / in));
  }
  return scales;
}

core::Status ValidateModel(const Model& model) {
  const core::Graph& g = model.graph;
  if (core::Status s = g.Validate(); !s.ok()) return s;
  for (const core::Tensor& t : g.tensors()) {
    if (t.dtype != core::DType::kInt8) return core::Status::Fail("tensor '" + t.name + "' is not int8");
    if (t.quant.scales.size() != 1 || t.quant.zero_points.size() != 1 || !(t.quant.scales[0] > 0) ||
        t.quant.zero_points[0] < -128 || t.quant.zero_points[0] > 127) {
      return core::Status::Fail("tensor '" + t.name + "' has no valid per-tensor scale/zero point");
    }
  }
  if (model.constants.size() != g.ops().size()) return core::Status::Fail("constants: one entry per op expected");
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const core::Op& op = g.op(static_cast<int>(i));
    const OpConstants& c = model.constants[i];
    const auto channels = static_cast<size_t>(g.BiasCount(op));
    if (c.weights.size() != static_cast<size_t>(g.WeightCount(op)) || c.bias.size() != channels ||
        c.multiplier.size() != channels || c.shift.size() != channels) {
      return core::Status::Fail("op '" + op.name + "': constants do not match its shapes");
    }
    if (core::Status s = KernelsCompute(op); !s.ok()) return s;
    const core::QuantParams &in_quant = g.InputOf(op).quant, &out_quant = g.OutputOf(op).quant;
    if (core::Traits(op.kind).keeps_quant &&
        (in_quant.scales != out_quant.scales || in_quant.zero_points != out_quant.zero_points)) {
      return core::Status::Fail("op '" + op.name + "': its output must keep the input's scale and zero point");
    }
    if (c.act_min < -128 || c.act_max > 127 || c.act_min > c.act_max) {
      return core::Status::Fail("op '" + op.name + "': bad activation range");
    }
    // Out-of-range shifts would be undefined behaviour in the kernels: reject them here.
    bool ok = c.left_shift >= 0 && c.left_shift <= 24;
    for (int32_t s : c.shift) ok = ok && s >= -31 && s <= 30;
    for (int32_t m : c.multiplier) ok = ok && m >= 0;
    for (int32_t s : {c.input1_shift, c.input2_shift, c.output_shift}) ok = ok && s >= -31 && s <= 30;
    for (int32_t m : {c.input1_multiplier, c.input2_multiplier, c.output_multiplier}) ok = ok && m >= 0;
    if (!ok) return core::Status::Fail("op '" + op.name + "': requantization parameters out of range");
    if (op.kind == core::OpKind::kSoftmax) {
      if (core::Status s = SoftmaxValid(g, op, c); !s.ok()) return s;
    }
    if (!AccumulatorsFit(g, op, c)) {
      return core::Status::Fail("op '" + op.name +
                                "': bias and weights can overflow the accumulator (|bias| + 256 x sum|w| must stay "
                                "below 2^30 in every channel)");
    }
  }
  const ExecutionConfig& e = model.execution;
  if (e.mode == memory_planner::PlanMode::kPatch && (e.patches_per_side < 1 || e.split_op < 1)) {
    return core::Status::Fail("execution: patch mode needs patches_per_side and split_op");
  }
  return core::Status::Ok();
}

ExecutionConfig ExecutionFor(const memory_planner::MemoryPlan& plan) {
  ExecutionConfig e;
  e.mode = plan.mode;
  e.input_in_arena = plan.options.count_input;
  if (plan.patch) {
    e.patches_per_side = plan.patch->patches_per_side;
    e.split_op = plan.patch->split_op;
  }
  return e;
}

core::Result<memory_planner::MemoryPlan> PlanModel(const Model& model) {
  const memory_planner::PlanOptions options{model.execution.input_in_arena, 4};
  // A patch model runs the patch count and split it was exported with, not a fresh search's.
  if (model.execution.mode == memory_planner::PlanMode::kPatch) {
    return memory_planner::PlanPatch(model.graph, {model.execution.patches_per_side, model.execution.split_op},
                                     options);
  }
  return memory_planner::PlanForMode(model.graph, model.execution.mode, options);
}

}  // namespace kilonas::engine
