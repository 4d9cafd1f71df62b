#include "pipeline/int8_autograd.h"

#include <torch/torch.h>

#include <limits>
#include <string>

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

}  // namespace

core::Result<AutogradGradients> Int8ModelAutograd(const engine::Model& model, const std::vector<int8_t>& input,
                                                  int label, const AutogradOptions& options) {
  const std::vector<std::vector<int8_t>>* forward = options.forward;
  const core::Graph& g = model.graph;
  const core::Tensor& in = g.tensor(g.input());
  if (forward != nullptr && forward->size() != g.tensors().size()) {
    return core::Error{"the forward values name " + std::to_string(forward->size()) + " tensors; the graph has " +
                       std::to_string(g.tensors().size())};
  }
  std::vector<Tensor> values(g.tensors().size());
  values[g.input()] =
      (Nchw(input, in.shape) - engine::TensorZeroPoint(in)) * static_cast<double>(engine::TensorScale(in));
  std::vector<Leaves> leaves(g.ops().size());
  int logits = g.output();
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const core::Op& op = g.op(static_cast<int>(i));
    const Tensor& a = values[op.inputs[0]];
    if (op.kind == core::OpKind::kSoftmax) {
      if (op.output != g.output()) return core::Error{"op '" + op.name + "': a softmax inside the network"};
      logits = op.inputs[0];
      continue;
    }
    Tensor y;
    if (core::Traits(op.kind).has_weights) {
      leaves[i] = LeavesOf(model, static_cast<int>(i));
      y = Weighted(g, op, a, leaves[i]);
    } else if (op.kind == core::OpKind::kAdd) {
      y = a + values[op.inputs[1]];
    } else if (op.kind == core::OpKind::kGlobalAvgPool) {
      y = a.mean({2, 3}, /*keepdim=*/true);
    } else {
      y = Pool(op, a);
    }
    values[op.output] = Output(y, op, g.OutputOf(op), model.constants[i],
                               forward != nullptr ? &(*forward)[op.output] : nullptr, options.gate_by_output);
  }
  const Tensor loss = torch::cross_entropy_loss(values[logits].reshape({1, -1}), torch::tensor({int64_t{label}}));
  loss.backward();
  AutogradGradients out;
  out.loss = loss.item<double>();
  out.weight.resize(g.ops().size());
  out.bias.resize(g.ops().size());
  for (size_t i = 0; i < g.ops().size(); ++i) {
    if (!leaves[i].weights.defined()) continue;
    // An op the loss does not depend on has no gradient.
    const auto grad = [](const Tensor& leaf) {
      return leaf.grad().defined() ? leaf.grad().contiguous() : torch::zeros_like(leaf);
    };
    const Tensor w = grad(leaves[i].weights), b = grad(leaves[i].bias);
    out.weight[i].assign(w.data_ptr<double>(), w.data_ptr<double>() + w.numel());
    out.bias[i].assign(b.data_ptr<double>(), b.data_ptr<double>() + b.numel());
  }
  return out;
}

}  // namespace kilonas::pipeline
