#include "ondevice/trainer.h"

#include <algorithm>
#include <string>

#include "engine/schedule.h"
#include "kilonas_train.h"
#include "ondevice/backward_kernels.h"

namespace kilonas::ondevice {
namespace {

kilonas_view WholeView(const core::Shape& s) { return {s.h, s.w, s.c, 0, 0}; }

// Where the gradient at a fused activation's output passes (kilonas_gate_make's open interval):
// strictly inside the range the activation clamps to. ReLU has no upper bound (an output at 127
// may be saturated, but nothing in the int8 value says so).
struct GateBounds {
  int32_t lo = -129, hi = 128;
};
GateBounds GateOf(core::Activation activation, const engine::OpConstants& c) {
  switch (activation) {
    case core::Activation::kNone:
      return {};
    case core::Activation::kRelu:
      return {c.act_min, 128};
    case core::Activation::kRelu6:
      return {c.act_min, c.act_max};
  }
  return {};
}

// The largest |bias| under which a channel's accumulator bound (|bias| + 256 x sum|w| < 2^30,
// engine::kMaxAccumulatorBound) holds for any int8 weights of its `per_channel`.
int32_t BiasLimit(int64_t per_channel) {
  return static_cast<int32_t>(std::max<int64_t>(0, engine::kMaxAccumulatorBound - 256 * 127 * per_channel));
}

}  // namespace

core::Result<Trainer> Trainer::Create(const engine::Model& model, const UpdateScheme& scheme) {
  core::Result<TrainingGraph> training = DeriveTrainingGraph(model, scheme);
  if (!training.ok()) return training.error();
  return Trainer(model, scheme, std::move(training).value());
}

Trainer::Trainer(const engine::Model& model, const UpdateScheme& scheme, TrainingGraph training)
    : model_(model), scheme_(scheme), training_(std::move(training)) {
  const core::Graph& g = model_.graph;
  const size_t ops = g.ops().size();
  values_.resize(g.tensors().size());
  grad_.resize(g.tensors().size());
  for (size_t t = 0; t < g.tensors().size(); ++t) values_[t].resize(g.tensor(static_cast<int>(t)).shape.Elements());
  gates_.resize(ops);
  weight_grad_.resize(ops);
  bias_grad_.resize(ops);
  weight_scale_.resize(ops);
  weight_step_.resize(ops);
  bias_step_.resize(ops);
  bias_limit_.resize(ops);
  const double rate = scheme_.learning_rate / scheme_.batch_size;
  for (size_t i = 0; i < ops; ++i) {
    const core::Op& op = g.op(static_cast<int>(i));
    const OpTraining& o = training_.ops[i];
    if (o.Backward()) grad_[op.output].resize(g.OutputOf(op).shape.Elements());
    for (size_t k = 0; k < op.inputs.size(); ++k) {
      if (o.input_grad[k]) grad_[op.inputs[k]].resize(g.InputOf(op, static_cast<int>(k)).shape.Elements());
    }
    if (o.mask) gates_[i].resize(static_cast<size_t>(GateBytes(g.OutputOf(op).shape.Elements())));
    if (!core::Traits(op.kind).has_weights) continue;
    weight_scale_[i] = engine::WeightScalesOf(model_, static_cast<int>(i));
    weight_grad_[i].assign(model_.constants[i].weights.size(), 0.0f);
    bias_grad_[i].assign(model_.constants[i].bias.size(), 0.0f);
    bias_limit_[i] = BiasLimit(g.WeightCount(op) / std::max<int64_t>(1, g.BiasCount(op)));
    const double in_scale = engine::TensorScale(g.InputOf(op));
    for (float w : weight_scale_[i]) {
      // QAS: a step of rate x gradient in real units, in int8 units (over s_W, over s for the
      // bias); without it SGD on the int8 values themselves (gradient times s_W, times s).
      const double bias_scale = in_scale * w;
      weight_step_[i].push_back(static_cast<float>(scheme_.qas ? rate / w : rate * w));
      bias_step_[i].push_back(static_cast<float>(scheme_.qas ? rate / bias_scale : rate * bias_scale));
    }
  }
}

core::Result<StepResult> Trainer::Step(const std::vector<int8_t>& input, int label) {
  const core::Graph& g = model_.graph;
  if (static_cast<int64_t>(input.size()) != g.tensor(g.input()).shape.Elements()) {
    return core::Error{"the training input has " + std::to_string(input.size()) + " values; the model takes " +
                       std::to_string(g.tensor(g.input()).shape.Elements())};
  }
  const core::Tensor& logits = g.tensor(training_.loss_tensor);
  if (label < 0 || label >= logits.shape.Elements()) {
    return core::Error{"label " + std::to_string(label) + " is not one of the model's " +
                       std::to_string(logits.shape.Elements()) + " classes"};
  }
  if (samples_in_batch_ == 0) {
    for (auto& w : weight_grad_) std::fill(w.begin(), w.end(), 0.0f);
    for (auto& b : bias_grad_) std::fill(b.begin(), b.end(), 0.0f);
  }
  Forward(input);
  for (auto& d : grad_) std::fill(d.begin(), d.end(), 0.0f);
  const std::vector<int8_t>& z = values_[training_.loss_tensor];
  StepResult result;
  result.predicted = static_cast<int>(std::max_element(z.begin(), z.end()) - z.begin());
  result.loss = kilonas_softmax_xent_grad(z.data(), static_cast<int32_t>(z.size()), engine::TensorScale(logits), label,
                                          grad_[training_.loss_tensor].data());
  samples_in_batch_ = (samples_in_batch_ + 1) % scheme_.batch_size;
  Backward(samples_in_batch_ == 0);
  return result;
}

void Trainer::Forward(const std::vector<int8_t>& input) {
  const core::Graph& g = model_.graph;
  values_[g.input()] = input;
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const int index = static_cast<int>(i);
    const core::Op& op = g.op(index);
    const kilonas_conv_params conv = engine::ConvParams(model_, index);
    const kilonas_add_params add =
        op.kind == core::OpKind::kAdd ? engine::AddParams(model_, index, op.inputs[0]) : kilonas_add_params{};
    const kilonas_pool_params pool = engine::PoolParams(model_, index);
    const core::Shape& out = g.OutputOf(op).shape;
    const kilonas_view iv = WholeView(g.InputOf(op).shape), ov = WholeView(out);
    const kilonas_view iv2 = op.inputs.size() > 1 ? WholeView(g.InputOf(op, 1).shape) : iv;
    const kilonas_rect rect{0, 0, out.h, out.w};
    engine::KernelArgs args;
    args.conv = &conv;
    args.add = &add;
    args.pool = &pool;
    args.in = values_[op.inputs[0]].data();
    args.in_view = &iv;
    args.in2 = op.inputs.size() > 1 ? values_[op.inputs[1]].data() : nullptr;
    args.in2_view = &iv2;
    args.out = values_[op.output].data();
    args.out_view = &ov;
    args.rect = &rect;
    engine::CallKernel(engine::KernelFor(op.kind, false, engine::KernelSet::kReference), args);
    if (!training_.ops[i].mask) continue;
    const GateBounds gate = GateOf(op.activation, model_.constants[i]);
    kilonas_gate_make(args.out, static_cast<int32_t>(out.Elements()), gate.lo, gate.hi, gates_[i].data());
  }
}

void Trainer::Backward(bool update) {
  for (size_t i = model_.graph.ops().size(); i-- > 0;) {
    if (training_.ops[i].Backward()) BackwardOp(static_cast<int>(i), update);
  }
}

void Trainer::BackwardOp(int index, bool update) {
  const core::Op& op = model_.graph.op(index);
  const OpTraining& o = training_.ops[index];
  float* dy = grad_[op.output].data();
  const core::Shape& out = model_.graph.OutputOf(op).shape;
  if (o.mask) kilonas_gate_apply(gates_[index].data(), static_cast<int32_t>(out.Elements()), dy);
  const kilonas_grad_params p = GradParams(index);
  const int8_t* x = values_[op.inputs[0]].data();
  for (size_t k = 0; k < op.inputs.size(); ++k) {
    if (o.input_grad[k]) {
      CallBackward(core::FindTrainKernel(op.kind, core::GradPart::kInput), p, x, dy, grad_[op.inputs[k]].data());
    }
  }
  if (o.weight_channels > 0) {
    CallBackward(core::FindTrainKernel(op.kind, core::GradPart::kWeight), p, x, dy, weight_grad_[index].data());
  }
  if (o.bias_grad) {
    const int32_t channels = static_cast<int32_t>(bias_grad_[index].size());
    kilonas_bias_grad(dy, out.h * out.w, out.c, channels, bias_grad_[index].data());
  }
  if (update) Update(index);
}

void Trainer::Update(int index) {
  const core::Op& op = model_.graph.op(index);
  const OpTraining& o = training_.ops[index];
  engine::OpConstants& c = model_.constants[index];
  if (o.weight_channels > 0) {
    const int32_t cout = static_cast<int32_t>(c.bias.size());
    const int32_t per_channel = static_cast<int32_t>(c.weights.size()) / cout;
    const bool depthwise = op.kind == core::OpKind::kDepthwiseConv2d;  // [k][k][C]: channel-minor
    kilonas_sgd_weights(c.weights.data(), weight_grad_[index].data(), weight_step_[index].data(), o.weight_channels,
                        per_channel, depthwise ? 1 : per_channel, depthwise ? cout : 1);
  }
  if (o.bias_grad) {
    kilonas_sgd_bias(c.bias.data(), bias_grad_[index].data(), bias_step_[index].data(),
                     static_cast<int32_t>(c.bias.size()), bias_limit_[index]);
  }
}

kilonas_grad_params Trainer::GradParams(int index) const {
  const core::Graph& g = model_.graph;
  const core::Op& op = g.op(index);
  const core::Tensor& in = g.InputOf(op);
  const core::Shape& out = g.OutputOf(op).shape;
  kilonas_grad_params p{};
  p.weights = model_.constants[index].weights.data();
  p.weight_scale = weight_scale_[index].data();
  p.input_scale = engine::TensorScale(in);
  p.input_zero = engine::TensorZeroPoint(in);
  p.kernel = op.kernel;
  p.kernel_w = op.KernelW();
  p.stride = op.stride;
  p.pad = op.padding;
  p.pad_w = op.PaddingW();
  const bool dense = op.kind == core::OpKind::kFullyConnected;  // a 1 x 1 convolution of the flattened input
  p.in_h = dense ? 1 : in.shape.h;
  p.in_w = dense ? 1 : in.shape.w;
  p.in_c = dense ? static_cast<int32_t>(in.shape.Elements()) : in.shape.c;
  p.out_h = out.h;
  p.out_w = out.w;
  p.out_c = out.c;
  p.channels = training_.ops[index].weight_channels;
  return p;
}

}  // namespace kilonas::ondevice
