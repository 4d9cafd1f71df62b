#include "ondevice/trainer.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/schedule.h"
#include "ondevice/backward_kernels.h"

namespace kilonas::ondevice {
namespace {

constexpr int32_t kCanary = 0x5A5A5A5A;
constexpr size_t kCanaryWords = 4;

kilonas_view WholeView(const core::Shape& s) { return {s.h, s.w, s.c, 0, 0}; }

}  // namespace

core::Result<Trainer> Trainer::Create(const engine::Model& model, const UpdateScheme& scheme,
                                      const TrainerOptions& options) {
  core::Result<TrainingProgram> program = BuildTrainingProgram(model, scheme, options.reorder);
  if (!program.ok()) return program.error();
  return Trainer(model, std::move(program).value(), options);
}

Trainer::Trainer(const engine::Model& model, TrainingProgram program, const TrainerOptions& options)
    : model_(model), program_(std::move(program)), options_(options) {
  const core::Graph& g = model_.graph;
  const TrainingLayout& l = program_.layout;
  arena_.assign(static_cast<size_t>((l.arena_bytes + 3) / 4) + kCanaryWords, 0);
  std::fill(arena_.end() - kCanaryWords, arena_.end(), kCanary);
  weight_scale_.resize(g.ops().size());
  kernel_constants_.resize(g.ops().size());
  sgd_.resize(g.ops().size());
  weight_grad_.resize(g.ops().size());
  bias_grad_.resize(g.ops().size());
  values_.resize(g.tensors().size());
  for (size_t i = 0; i < g.ops().size(); ++i) {
    if (!core::Traits(g.op(static_cast<int>(i)).kind).has_weights) continue;
    kernel_constants_[i] = engine::ConstantsFor(model_, static_cast<int>(i), program_.forward_kernel[i]);
    weight_scale_[i] = engine::WeightScalesOf(model_, static_cast<int>(i));
    sgd_[i] = SgdStepsOf(model_, program_.scheme, static_cast<int>(i));
    const engine::OpConstants& c = model_.constants[i];
    if (l.weight_copy[i] >= 0) std::memcpy(At(l.weight_copy[i]), c.weights.data(), c.weights.size());
    if (l.bias_copy[i] >= 0) std::memcpy(At(l.bias_copy[i]), c.bias.data(), c.bias.size() * sizeof(int32_t));
  }
}

bool Trainer::ArenaIntact() const {
  return std::all_of(arena_.end() - kCanaryWords, arena_.end(), [](int32_t w) { return w == kCanary; });
}

core::Result<StepResult> Trainer::Step(const std::vector<int8_t>& input, int label) {
  const core::Graph& g = model_.graph;
  if (static_cast<int64_t>(input.size()) != g.tensor(g.input()).shape.Elements()) {
    return core::Error{"the training input has " + std::to_string(input.size()) + " values; the model takes " +
                       std::to_string(g.tensor(g.input()).shape.Elements())};
  }
  const core::Tensor& logits = g.tensor(program_.training.loss_tensor);
  if (label < 0 || label >= logits.shape.Elements()) {
    return core::Error{"label " + std::to_string(label) + " is not one of the model's " +
                       std::to_string(logits.shape.Elements()) + " classes"};
  }
  std::memcpy(At(program_.layout.value[g.input()]), input.data(), input.size());
  if (options_.record) values_[g.input()] = input;
  StepResult result;
  for (const TrainStep& step : program_.steps) {
    if (RunsForSample(step, sample_in_batch_, program_.scheme.batch_size)) Run(step, label, result);
  }
  sample_in_batch_ = (sample_in_batch_ + 1) % program_.scheme.batch_size;
  if (!ArenaIntact()) return core::Error{"a training kernel wrote past the planned arena (a planner or kernel bug)"};
  SyncParameters();
  return result;
}

void Trainer::Run(const TrainStep& step, int label, StepResult& result) {
  const core::Graph& g = model_.graph;
  const TrainingLayout& l = program_.layout;
  switch (step.kind) {
    case TrainStepKind::kForward:
      Forward(step.op);
      break;
    case TrainStepKind::kGateMake: {
      const GateBounds gate = GateOf(model_, step.op);
      const int out = g.op(step.op).output;
      kilonas_gate_make(At(l.value[out]), static_cast<int32_t>(g.tensor(out).shape.Elements()), gate.lo, gate.hi,
                        reinterpret_cast<uint8_t*>(At(l.gate[step.op])));
      break;
    }
    case TrainStepKind::kZero:
      std::memset(At(l.gradient[step.tensor]), 0, static_cast<size_t>(g.tensor(step.tensor).shape.Elements()) * 4);
      break;
    case TrainStepKind::kLoss: {
      const int z = program_.training.loss_tensor;
      const int8_t* logits = At(l.value[z]);
      const int32_t n = static_cast<int32_t>(g.tensor(z).shape.Elements());
      result.predicted = static_cast<int>(std::max_element(logits, logits + n) - logits);
      result.loss =
          kilonas_softmax_xent_grad(logits, n, engine::TensorScale(g.tensor(z)), label, FloatsAt(l.gradient[z]));
      break;
    }
    case TrainStepKind::kUpdate:
      Update(step.op);
      break;
    case TrainStepKind::kGateApply:
    case TrainStepKind::kGradInput:
    case TrainStepKind::kGradWeight:
    case TrainStepKind::kBiasGrad:
    case TrainStepKind::kZeroParams:
      Backward(step);
      break;
  }
}

void Trainer::Forward(int index) {
  const core::Graph& g = model_.graph;
  const TrainingLayout& l = program_.layout;
  const core::Op& op = g.op(index);
  const engine::KernelConstants& k = kernel_constants_[index];
  kilonas_conv_params conv = engine::ConvParams(model_, index, k.channels.empty() ? nullptr : k.channels.data());
  if (!k.weights.empty()) conv.weights = k.weights.data();
  if (l.weight_copy[index] >= 0) conv.weights = At(l.weight_copy[index]);
  if (l.bias_copy[index] >= 0) conv.bias = reinterpret_cast<const int32_t*>(At(l.bias_copy[index]));
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
  args.in = At(l.value[op.inputs[0]]);
  args.in_view = &iv;
  args.in2 = op.inputs.size() > 1 ? At(l.value[op.inputs[1]]) : nullptr;
  args.in2_view = &iv2;
  args.out = At(l.value[op.output]);
  args.out_view = &ov;
  args.rect = &rect;
  args.scratch = At(l.scratch[index]);
  engine::CallKernel(program_.forward_kernel[index], args);
  if (options_.record) values_[op.output].assign(args.out, args.out + out.Elements());
}

void Trainer::Backward(const TrainStep& step) {
  const core::Graph& g = model_.graph;
  const TrainingLayout& l = program_.layout;
  const int i = step.op;
  const core::Op& op = g.op(i);
  const core::Shape& out = g.OutputOf(op).shape;
  float* dy = FloatsAt(l.gradient[op.output]);
  const int8_t* weights = l.weight_copy[i] >= 0 ? At(l.weight_copy[i]) : model_.constants[i].weights.data();
  const kilonas_grad_params p = GradParamsOf(model_, program_.training, i, weights, weight_scale_[i].data());
  const int8_t* x = At(l.value[op.inputs[0]]);  // null where the backward pass does not keep it
  switch (step.kind) {
    case TrainStepKind::kGateApply: {
      const GateBounds gate = GateOf(model_, i);
      const int32_t n = static_cast<int32_t>(out.Elements());
      if (l.gate[i] >= 0) {
        kilonas_gate_apply(reinterpret_cast<const uint8_t*>(At(l.gate[i])), n, dy);
      } else {
        kilonas_gate_apply_values(At(l.value[op.output]), n, gate.lo, gate.hi, dy);
      }
      break;
    }
    case TrainStepKind::kGradInput:
      CallBackward(core::FindTrainKernel(op.kind, core::GradPart::kInput), p, x, dy,
                   FloatsAt(l.gradient[op.inputs[static_cast<size_t>(step.input)]]));
      break;
    case TrainStepKind::kZeroParams:
      if (l.weight_gradient[i] >= 0) {
        std::memset(At(l.weight_gradient[i]), 0,
                    static_cast<size_t>(WeightGradientValues(g, i, program_.training.ops[i])) * 4);
      }
      if (l.bias_gradient[i] >= 0) std::memset(At(l.bias_gradient[i]), 0, static_cast<size_t>(out.c) * 4);
      break;
    case TrainStepKind::kGradWeight:
      CallBackward(core::FindTrainKernel(op.kind, core::GradPart::kWeight), p, x, dy, FloatsAt(l.weight_gradient[i]));
      break;
    case TrainStepKind::kBiasGrad:
      kilonas_bias_grad(dy, out.h * out.w, out.c, out.c, FloatsAt(l.bias_gradient[i]));
      break;
    default:
      break;
  }
}

void Trainer::Update(int index) {
  const core::Graph& g = model_.graph;
  const TrainingLayout& l = program_.layout;
  const OpTraining& o = program_.training.ops[index];
  const int32_t cout = g.OutputOf(g.op(index)).shape.c;
  if (o.weight_channels > 0) {
    const int64_t values = WeightGradientValues(g, index, o);
    const float* dw = FloatsAt(l.weight_gradient[index]);
    if (options_.record) {
      weight_grad_[index].assign(model_.constants[index].weights.size(), 0.0f);
      std::copy(dw, dw + values, weight_grad_[index].begin());
    }
    const int32_t per_channel = static_cast<int32_t>(g.WeightCount(g.op(index)) / cout);
    const bool depthwise = g.op(index).kind == core::OpKind::kDepthwiseConv2d;  // [k][k][C]: channel-minor
    kilonas_sgd_weights(At(l.weight_copy[index]), dw, sgd_[index].weight.data(), o.weight_channels, per_channel,
                        depthwise ? 1 : per_channel, depthwise ? cout : 1,
                        program_.scheme.stochastic_rounding ? &rounding_ : nullptr);
  }
  if (o.bias_grad) {
    const float* db = FloatsAt(l.bias_gradient[index]);
    if (options_.record) bias_grad_[index].assign(db, db + cout);
    kilonas_sgd_bias(reinterpret_cast<int32_t*>(At(l.bias_copy[index])), db, sgd_[index].bias.data(), cout,
                     sgd_[index].bias_limit);
  }
}

void Trainer::SyncParameters() {
  const TrainingLayout& l = program_.layout;
  for (size_t i = 0; i < model_.constants.size(); ++i) {
    engine::OpConstants& c = model_.constants[i];
    if (l.weight_copy[i] >= 0) std::memcpy(c.weights.data(), At(l.weight_copy[i]), c.weights.size());
    if (l.bias_copy[i] >= 0) std::memcpy(c.bias.data(), At(l.bias_copy[i]), c.bias.size() * sizeof(int32_t));
  }
}

}  // namespace kilonas::ondevice
