#include "engine/quantizer.h"

#include <algorithm>
#include <cmath>

#include "engine/quant_math.h"

namespace kilonas::engine {
namespace {

// Observed [lo, hi] of every tensor over the calibration images.
std::vector<std::pair<float, float>> CalibrateRanges(const core::FloatModel& model,
                                                     const std::vector<std::vector<float>>& images) {
  const size_t num_tensors = model.graph.tensors().size();
  std::vector<std::pair<float, float>> ranges(num_tensors, {0.0f, 0.0f});
  for (const std::vector<float>& image : images) {
    const std::vector<std::vector<float>> values = core::RunFloat(model, image);
    for (size_t t = 0; t < num_tensors; ++t) {
      for (float v : values[t]) {
        ranges[t].first = std::min(ranges[t].first, v);
        ranges[t].second = std::max(ranges[t].second, v);
      }
    }
  }
  return ranges;
}

// ReLU/ReLU6 bounds of the output, clipped to int8.
void SetActivationRange(const core::Op& op, const ActivationQuant& out, OpConstants& c) {
  const ActivationClamp clamp = ClampOf(op.activation, out);
  c.act_min = clamp.min;
  c.act_max = clamp.max;
}

void QuantizeWeighted(const core::Graph& g, const core::Op& op, const core::FloatOpWeights& folded,
                      const ActivationQuant& in, const ActivationQuant& out, OpConstants& c) {
  const int channels = static_cast<int>(g.BiasCount(op));
  const size_t per_channel = folded.weights.size() / channels;
  const bool depthwise = op.kind == core::OpKind::kDepthwiseConv2d;
  auto index = [&](int ch, size_t j) { return depthwise ? j * channels + ch : ch * per_channel + j; };
  c.weights.assign(folded.weights.size(), 0);
  // A fully connected layer has one scale for all its weights, as TensorFlow Lite's converter
  // gives it (runtimes such as Arm NN take no per-channel fully connected weights).
  const bool one_scale = op.kind == core::OpKind::kFullyConnected;
  float layer_max = 0.0f;
  if (one_scale) {
    for (float w : folded.weights) layer_max = std::max(layer_max, std::abs(w));
  }
  for (int ch = 0; ch < channels; ++ch) {
    float max_abs = layer_max;
    if (!one_scale) {
      for (size_t j = 0; j < per_channel; ++j) max_abs = std::max(max_abs, std::abs(folded.weights[index(ch, j)]));
    }
    // Scales are float32, as a .tflite stores them: the multiplier below is what TFLite Micro
    // computes from the stored scale (TfliteScale), so an exported model runs identically there.
    double w_scale = TfliteScale(max_abs > 0 ? max_abs / 127.0 : 1.0);
    // A bias far larger than the weights would overflow the accumulator bound: coarser weight
    // steps for that channel keep the bias representable (doubling until it fits).
    double bias_q = 0;
    for (int attempt = 0;; ++attempt) {
      int64_t weight_sum = 0;
      for (size_t j = 0; j < per_channel; ++j) {
        const double q = std::clamp(std::round(folded.weights[index(ch, j)] / w_scale), -127.0, 127.0);
        c.weights[index(ch, j)] = static_cast<int8_t>(q);
        weight_sum += static_cast<int64_t>(std::abs(q));
      }
      bias_q = std::round(folded.bias[ch] / (static_cast<double>(in.scale) * w_scale));
      const double room = static_cast<double>(kMaxAccumulatorBound - 256 * weight_sum);
      if (std::abs(bias_q) <= room || attempt == 64) {
        bias_q = std::clamp(bias_q, -std::max(room, 0.0), std::max(room, 0.0));
        break;
      }
      w_scale *= 2;  // exact in float32 too
    }
    const double bias_scale = static_cast<double>(in.scale) * w_scale;
    c.bias.push_back(static_cast<int32_t>(bias_q));
    const FixedPointMultiplier m = QuantizeMultiplier(bias_scale / out.scale);
    c.multiplier.push_back(m.multiplier);
    c.shift.push_back(m.shift);
  }
  SetActivationRange(op, out, c);
}

void QuantizeAdd(const core::Op& op, const ActivationQuant& a, const ActivationQuant& b, const ActivationQuant& out,
                 OpConstants& c) {
  SetAddRescaling(AddRescalingOf(a.scale, b.scale, out.scale), c);
  SetActivationRange(op, out, c);
}

// Op i's int8 constants from the float model. `quant` holds every tensor's parameters; an op
// whose kind fixes its output's (a pool keeps the input's, a softmax has TFLite's 1/256 from -128)
// sets them there and in `graph`.
OpConstants QuantizeOp(const core::FloatModel& float_model, size_t i, std::vector<ActivationQuant>& quant,
                       core::Graph& graph) {
  const core::Graph& fg = float_model.graph;
  const core::Op& op = fg.op(static_cast<int>(i));
  OpConstants c;
  const ActivationQuant& in = quant[op.inputs[0]];
  const ActivationQuant& out = quant[op.output];
  if (core::Traits(op.kind).keeps_quant) {  // the kernel works on raw values
    quant[op.output] = in;
    graph.mutable_tensor(op.output).quant = {{in.scale}, {in.zero_point}};
  }
  switch (op.kind) {
    case core::OpKind::kConv2d:
    case core::OpKind::kPointwiseConv2d:
    case core::OpKind::kDepthwiseConv2d:
    case core::OpKind::kFullyConnected:
      QuantizeWeighted(fg, op, core::FoldBatchNorm(fg, op, float_model.ops[i]), in, out, c);
      break;
    case core::OpKind::kAdd:
      QuantizeAdd(op, in, quant[op.inputs[1]], out, c);
      break;
    case core::OpKind::kAvgPool2d:  // the input's quantization (keeps_quant); only the clamp
    case core::OpKind::kMaxPool2d:
      SetActivationRange(op, out, c);
      break;
    case core::OpKind::kSoftmax: {
      quant[op.output] = kSoftmaxOutputQuant;
      graph.mutable_tensor(op.output).quant = {{kSoftmaxOutputQuant.scale}, {kSoftmaxOutputQuant.zero_point}};
      const FixedPointMultiplier m = SoftmaxInputScaling(1.0, in.scale);
      c.output_multiplier = m.multiplier;
      c.output_shift = m.shift;
      break;
    }
    case core::OpKind::kGlobalAvgPool: {
      const int64_t pixels = static_cast<int64_t>(fg.InputOf(op).shape.h) * fg.InputOf(op).shape.w;
      const FixedPointMultiplier m = GlobalPoolMultiplier(in.scale, out.scale, pixels);
      c.output_multiplier = m.multiplier;
      c.output_shift = m.shift;
      break;
    }
  }
  return c;
}

}  // namespace

core::Result<Model> Quantize(const core::FloatModel& float_model, const std::vector<std::vector<float>>& calibration,
                             const ExecutionConfig& execution) {
  if (core::Status s = core::ValidateFloatModel(float_model); !s.ok()) return s.error();
  if (calibration.empty()) return core::Error{"quantizer: no calibration images"};
  const core::Graph& fg = float_model.graph;
  const size_t input_size = static_cast<size_t>(fg.tensor(fg.input()).shape.Elements());
  for (const auto& image : calibration) {
    if (image.size() != input_size) return core::Error{"quantizer: calibration image size does not match the input"};
  }
  const std::vector<std::pair<float, float>> ranges = CalibrateRanges(float_model, calibration);
  Model model{fg, {}, execution};
  std::vector<ActivationQuant> quant;
  for (size_t t = 0; t < fg.tensors().size(); ++t) {
    quant.push_back(ChooseActivationQuant(ranges[t].first, ranges[t].second));
    core::Tensor& tensor = model.graph.mutable_tensor(static_cast<int>(t));
    tensor.dtype = core::DType::kInt8;
    tensor.quant = {{quant.back().scale}, {quant.back().zero_point}};
  }
  for (size_t i = 0; i < fg.ops().size(); ++i)
    model.constants.push_back(QuantizeOp(float_model, i, quant, model.graph));
  if (core::Status s = ValidateModel(model); !s.ok()) return s.error();
  if (core::Result<memory_planner::MemoryPlan> plan = PlanModel(model); !plan.ok()) return plan.error();
  return model;
}

std::vector<int8_t> QuantizeInput(const Model& model, const std::vector<float>& image) {
  const core::Tensor& t = model.graph.tensor(model.graph.input());
  const ActivationQuant q{TensorScale(t), TensorZeroPoint(t)};
  std::vector<int8_t> out;
  out.reserve(image.size());
  for (float v : image) out.push_back(QuantizeValue(v, q));
  return out;
}

std::vector<float> DequantizeOutput(const Model& model, const std::vector<int8_t>& output) {
  const core::Tensor& t = model.graph.tensor(model.graph.output());
  const ActivationQuant q{TensorScale(t), TensorZeroPoint(t)};
  std::vector<float> out;
  out.reserve(output.size());
  for (int8_t v : output) out.push_back(DequantizeValue(v, q));
  return out;
}

}  // namespace kilonas::engine
