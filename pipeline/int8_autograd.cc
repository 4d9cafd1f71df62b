#include "pipeline/int8_autograd.h"

#include <torch/torch.h>

#include <limits>
#include <string>

#include "ondevice/training_graph.h"

namespace kilonas::pipeline {
namespace {

namespace F = torch::nn::functional;
using torch::Tensor;

const auto kDouble = torch::TensorOptions().dtype(torch::kFloat64);

// NCHW [1, C, H, W] of an HWC vector.
template <typename T>
Tensor Nchw(const std::vector<T>& hwc, const core::Shape& s) {
  const std::vector<double> values(hwc.begin(), hwc.end());
  return torch::tensor(values, kDouble).view({1, s.h, s.w, s.c}).permute({0, 3, 1, 2});
}

// NCHW zero padding of an op's window (TensorFlow's SAME may pad more after than before).
Tensor Pad(const Tensor& x, const core::Op& op, double value = 0) {
  return F::pad(x, F::PadFuncOptions({op.PaddingW(), op.PaddingWEnd(), op.padding, op.PaddingEnd()}).value(value));
}

// The leaf tensors of a weighted op: real weights in the engine's layout, flattened, and bias.
struct Leaves {
  Tensor weights, bias;
};
Leaves LeavesOf(const engine::Model& model, int index) {
  const engine::OpConstants& c = model.constants[index];
  const std::vector<float> scales = engine::WeightScalesOf(model, index);
  const bool depthwise = model.graph.op(index).kind == core::OpKind::kDepthwiseConv2d;
  const size_t cout = c.bias.size(), per = c.weights.size() / cout;
  const double in_scale = engine::TensorScale(model.graph.InputOf(model.graph.op(index)));
  std::vector<double> w(c.weights.size()), b(cout);
  for (size_t i = 0; i < w.size(); ++i)
    w[i] = c.weights[i] * static_cast<double>(scales[depthwise ? i % cout : i / per]);
  for (size_t o = 0; o < cout; ++o) b[o] = c.bias[o] * in_scale * static_cast<double>(scales[o]);
  return {torch::tensor(w, kDouble).requires_grad_(true), torch::tensor(b, kDouble).requires_grad_(true)};
}

// A weighted op on NCHW x with its leaves.
Tensor Weighted(const core::Graph& g, const core::Op& op, const Tensor& x, const Leaves& l) {
  const core::Shape in = g.InputOf(op).shape, out = g.OutputOf(op).shape;
  switch (op.kind) {
    case core::OpKind::kConv2d:
      return torch::conv2d(Pad(x, op), l.weights.view({out.c, op.kernel, op.KernelW(), in.c}).permute({0, 3, 1, 2}),
                           l.bias, op.stride);
    case core::OpKind::kPointwiseConv2d:
      return torch::conv2d(x, l.weights.view({out.c, in.c, 1, 1}), l.bias);
    case core::OpKind::kDepthwiseConv2d:
      return torch::conv2d(Pad(x, op), l.weights.view({op.kernel, op.KernelW(), in.c}).permute({2, 0, 1}).unsqueeze(1),
                           l.bias, torch::IntArrayRef{op.stride, op.stride}, torch::IntArrayRef{0, 0},
                           torch::IntArrayRef{1, 1}, in.c);
    case core::OpKind::kFullyConnected: {  // the engine flattens HWC
      const Tensor flat = x.permute({0, 2, 3, 1}).reshape({1, -1});
      return torch::linear(flat, l.weights.view({out.c, in.Elements()}), l.bias).view({1, out.c, 1, 1});
    }
    case core::OpKind::kAdd:
    case core::OpKind::kGlobalAvgPool:
    case core::OpKind::kAvgPool2d:
    case core::OpKind::kMaxPool2d:
    case core::OpKind::kSoftmax:
      break;  // no weights
  }
  return x;
}

// A window pool, padding not counted (the engine's and TFLite's average pool).
Tensor Pool(const core::Op& op, const Tensor& x) {
  const std::vector<int64_t> window = {op.kernel, op.KernelW()};
  if (op.kind == core::OpKind::kMaxPool2d) {
    return torch::max_pool2d(Pad(x, op, -std::numeric_limits<double>::infinity()), window, op.stride);
  }
  const Tensor sum = torch::avg_pool2d(Pad(x, op), window, op.stride);
  const Tensor count = torch::avg_pool2d(Pad(torch::ones_like(x), op), window, op.stride);
  return sum / count;
}

Tensor Activate(const Tensor& y, core::Activation activation) {
  switch (activation) {
    case core::Activation::kNone:
      return y;
    case core::Activation::kRelu:
      return torch::relu(y);
    case core::Activation::kRelu6:
      return torch::hardtanh(y, 0.0, 6.0);
  }
  return y;
}

// An op's output: `y` (before its activation) rounded to the tensor's int8 grid inside the op's
// clamp, or the given int8 values, in the forward pass; in the backward pass the activation's
// gradient (torch's, or the gate of the int8 output) and identity through the rounding.
Tensor Output(const Tensor& y, const core::Op& op, const core::Tensor& t, const engine::OpConstants& c,
              const std::vector<int8_t>* given, bool gate_by_output) {
  const double scale = engine::TensorScale(t);
  const int zero = engine::TensorZeroPoint(t);
  const Tensor activated = Activate(y, op.activation);
  const Tensor q = given != nullptr ? Nchw(*given, t.shape)
                                    : torch::clamp(torch::round(activated / scale) + zero, c.act_min, c.act_max);
  Tensor passed = activated;
  if (gate_by_output && op.activation != core::Activation::kNone) {
    const int hi = op.activation == core::Activation::kRelu6 ? c.act_max : 128;
    passed = y * ((q > c.act_min) & (q < hi)).to(torch::kFloat64);
  }
  return passed + ((q - zero) * scale - passed).detach();
}

// The dequantized graph with its weighted ops' leaves, built once and run on any input.
class TorchGraph {
 public:
  explicit TorchGraph(const engine::Model& model) : model_(model), leaves_(model.graph.ops().size()) {
    for (size_t i = 0; i < leaves_.size(); ++i) {
      if (core::Traits(model.graph.op(static_cast<int>(i)).kind).has_weights) {
        leaves_[i] = LeavesOf(model, static_cast<int>(i));
      }
    }
  }
  std::vector<Leaves>& leaves() { return leaves_; }

  // The logits [1, classes] of one int8 input (a final softmax folded into the loss).
  core::Result<Tensor> Logits(const std::vector<int8_t>& input, const AutogradOptions& options) const {
    const core::Graph& g = model_.graph;
    const std::vector<std::vector<int8_t>>* forward = options.forward;
    if (forward != nullptr && forward->size() != g.tensors().size()) {
      return core::Error{"the forward values name " + std::to_string(forward->size()) + " tensors; the graph has " +
                         std::to_string(g.tensors().size())};
    }
    const core::Tensor& in = g.tensor(g.input());
    std::vector<Tensor> values(g.tensors().size());
    values[g.input()] =
        (Nchw(input, in.shape) - engine::TensorZeroPoint(in)) * static_cast<double>(engine::TensorScale(in));
    int logits = g.output();
    for (size_t i = 0; i < g.ops().size(); ++i) {
      const core::Op& op = g.op(static_cast<int>(i));
      if (op.kind == core::OpKind::kSoftmax) {
        if (op.output != g.output()) return core::Error{"op '" + op.name + "': a softmax inside the network"};
        logits = op.inputs[0];
        continue;
      }
      values[op.output] = Output(OpValue(op, i, values), op, g.OutputOf(op), model_.constants[i],
                                 forward != nullptr ? &(*forward)[op.output] : nullptr, options.gate_by_output);
    }
    return values[logits].reshape({1, -1});
  }

 private:
  Tensor OpValue(const core::Op& op, size_t i, const std::vector<Tensor>& values) const {
    const Tensor& a = values[op.inputs[0]];
    if (core::Traits(op.kind).has_weights) return Weighted(model_.graph, op, a, leaves_[i]);
    if (op.kind == core::OpKind::kAdd) return a + values[op.inputs[1]];
    if (op.kind == core::OpKind::kGlobalAvgPool) return a.mean({2, 3}, /*keepdim=*/true);
    return Pool(op, a);
  }

  const engine::Model& model_;
  std::vector<Leaves> leaves_;
};

// A leaf's gradient as doubles (zeros where the loss does not depend on it).
std::vector<double> GradientOf(const Tensor& leaf) {
  const Tensor g = leaf.grad().defined() ? leaf.grad().contiguous() : torch::zeros_like(leaf);
  return std::vector<double>(g.data_ptr<double>(), g.data_ptr<double>() + g.numel());
}

Tensor Loss(const Tensor& logits, int label) {
  return torch::cross_entropy_loss(logits, torch::tensor({int64_t{label}}));
}

}  // namespace

core::Result<AutogradGradients> Int8ModelAutograd(const engine::Model& model, const std::vector<int8_t>& input,
                                                  int label, const AutogradOptions& options) {
  TorchGraph graph(model);
  core::Result<Tensor> logits = graph.Logits(input, options);
  if (!logits.ok()) return logits.error();
  const Tensor loss = Loss(logits.value(), label);
  loss.backward();
  AutogradGradients out;
  out.loss = loss.item<double>();
  out.weight.resize(model.graph.ops().size());
  out.bias.resize(model.graph.ops().size());
  for (size_t i = 0; i < out.weight.size(); ++i) {
    if (!graph.leaves()[i].weights.defined()) continue;
    out.weight[i] = GradientOf(graph.leaves()[i].weights);
    out.bias[i] = GradientOf(graph.leaves()[i].bias);
  }
  return out;
}

core::Result<TorchFineTuneResult> TorchFineTune(const engine::Model& model, const ondevice::UpdateScheme& scheme,
                                                const ondevice::TrainingSamples& samples,
                                                const std::vector<std::vector<int8_t>>& test) {
  core::Result<ondevice::TrainingGraph> training = ondevice::DeriveTrainingGraph(model, scheme);
  if (!training.ok()) return training.error();
  TorchGraph graph(model);
  // Per trainable op, which of its weights (the updated output channels) and biases move.
  std::vector<Tensor> weight_mask(model.graph.ops().size()), bias_mask(model.graph.ops().size());
  for (size_t i = 0; i < weight_mask.size(); ++i) {
    const ondevice::OpTraining& o = training.value().ops[i];
    if (!graph.leaves()[i].weights.defined()) continue;
    const int64_t cout = graph.leaves()[i].bias.numel(), n = graph.leaves()[i].weights.numel();
    const Tensor channel = model.graph.op(static_cast<int>(i)).kind == core::OpKind::kDepthwiseConv2d
                               ? torch::arange(n, kDouble).fmod(static_cast<double>(cout))
                               : torch::arange(n, kDouble).div(static_cast<double>(n / cout)).floor();
    weight_mask[i] = (channel < o.weight_channels).to(torch::kFloat64);
    bias_mask[i] = torch::full({cout}, o.bias_grad ? 1.0 : 0.0, kDouble);
  }
  TorchFineTuneResult result;
  const double rate = scheme.learning_rate / scheme.batch_size;
  for (int64_t k = 0; k < samples.steps; ++k) {
    const size_t s = static_cast<size_t>(k) % samples.inputs.size();
    core::Result<Tensor> logits = graph.Logits(samples.inputs[s], {});
    if (!logits.ok()) return logits.error();
    const Tensor loss = Loss(logits.value(), samples.labels[s]);
    loss.backward();
    result.losses.push_back(loss.item<double>());
    if ((k + 1) % scheme.batch_size != 0) continue;
    torch::NoGradGuard no_grad;
    for (size_t i = 0; i < weight_mask.size(); ++i) {
      Leaves& l = graph.leaves()[i];
      if (!l.weights.defined() || !l.weights.grad().defined()) continue;
      l.weights.sub_(l.weights.grad() * weight_mask[i] * rate);
      l.bias.sub_(l.bias.grad() * bias_mask[i] * rate);
      l.weights.mutable_grad().zero_();
      l.bias.mutable_grad().zero_();
    }
  }
  torch::NoGradGuard no_grad;
  for (const std::vector<int8_t>& x : test) {
    core::Result<Tensor> logits = graph.Logits(x, {});
    if (!logits.ok()) return logits.error();
    result.predictions.push_back(static_cast<int>(logits.value().argmax(1).item<int64_t>()));
  }
  return result;
}

}  // namespace kilonas::pipeline
