#include "ondevice/training_program.h"

#include <algorithm>

namespace kilonas::ondevice {
namespace {

bool Trains(const OpTraining& o) { return o.weight_channels > 0 || o.bias_grad; }

void ForwardSteps(const core::Graph& g, const TrainingGraph& t, std::vector<TrainStep>& steps) {
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const int op = static_cast<int>(i);
    steps.push_back({TrainStepKind::kForward, op});
    if (t.gated[static_cast<size_t>(g.op(op).output)]) steps.push_back({TrainStepKind::kGateMake, op});
  }
}

// One op's backward step: gate, input gradients (each buffer zeroed before its first writer),
// weight and bias gradients, and with `reorder` the update right after them.
void BackwardSteps(const core::Graph& g, const TrainingGraph& t, int op, bool reorder, std::vector<bool>& zeroed,
                   std::vector<TrainStep>& steps) {
  const OpTraining& o = t.ops[static_cast<size_t>(op)];
  if (o.mask) steps.push_back({TrainStepKind::kGateApply, op});
  const std::vector<int>& inputs = g.op(op).inputs;
  for (size_t k = 0; k < inputs.size(); ++k) {
    if (!o.input_grad[k]) continue;
    if (!zeroed[static_cast<size_t>(inputs[k])]) {
      steps.push_back({TrainStepKind::kZero, op, inputs[k]});
      zeroed[static_cast<size_t>(inputs[k])] = true;
    }
    steps.push_back({TrainStepKind::kGradInput, op, -1, static_cast<int>(k)});
  }
  if (!Trains(o)) return;
  steps.push_back({TrainStepKind::kZeroParams, op});
  if (o.weight_channels > 0) steps.push_back({TrainStepKind::kGradWeight, op});
  if (o.bias_grad) steps.push_back({TrainStepKind::kBiasGrad, op});
  if (reorder) steps.push_back({TrainStepKind::kUpdate, op});
}

// Each op's forward kernel (TrainingProgram::forward_kernel), in place where `in_place` says,
// and the scratch bytes it needs.
struct ForwardCalls {
  std::vector<engine::Kernel> kernels;
  std::vector<int64_t> scratch;
};
ForwardCalls ForwardKernels(const core::Graph& g, const TrainingGraph& t, const std::vector<bool>& in_place) {
  ForwardCalls calls;
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const core::Op& op = g.op(static_cast<int>(i));
    const core::Shape& in = g.InputOf(op).shape;
    const engine::KernelSet set = Trains(t.ops[i]) ? engine::KernelSet::kReference : engine::KernelSet::kOptimized;
    calls.kernels.push_back(engine::KernelFor(op.kind, in_place[i], set, op.weights));
    calls.scratch.push_back(core::ScratchBytes(g, op, set, in_place[i], in.h, in.w));
  }
  return calls;
}

}  // namespace

core::Result<TrainingProgram> BuildTrainingProgram(const engine::Model& model, const UpdateScheme& scheme,
                                                   bool reorder) {
  core::Result<TrainingGraph> training = DeriveTrainingGraph(model, scheme);
  if (!training.ok()) return training.error();
  const core::Graph& graph = model.graph;
  TrainingMemoryOptions options;
  options.reorder = reorder;
  options.batch = scheme.batch_size;
  options.in_place = true;
  const ForwardCalls calls = ForwardKernels(graph, training.value(), TrainingInPlaceOps(graph, training.value()));
  options.forward_scratch = calls.scratch;
  core::Result<TrainingMemory> memory = PlanTrainingMemory(graph, training.value(), options);
  if (!memory.ok()) return memory.error();
  TrainingProgram p;
  p.scheme = scheme;
  p.training = std::move(training).value();
  p.layout = std::move(memory.value().layout);
  p.forward_kernel = calls.kernels;
  const core::Graph& g = model.graph;
  const TrainingGraph& t = p.training;
  ForwardSteps(g, t, p.steps);
  p.steps.push_back({TrainStepKind::kZero, -1, t.loss_tensor});
  p.steps.push_back({TrainStepKind::kLoss});
  std::vector<bool> zeroed(g.tensors().size(), false);
  zeroed[static_cast<size_t>(t.loss_tensor)] = true;
  for (int i = static_cast<int>(g.ops().size()) - 1; i >= 0; --i) {
    if (t.ops[static_cast<size_t>(i)].Backward()) BackwardSteps(g, t, i, reorder, zeroed, p.steps);
  }
  for (int i = static_cast<int>(g.ops().size()) - 1; i >= 0 && !reorder; --i) {
    if (Trains(t.ops[static_cast<size_t>(i)])) p.steps.push_back({TrainStepKind::kUpdate, i});
  }
  return p;
}

bool RunsForSample(const TrainStep& step, int sample_in_batch, int batch) {
  if (step.kind == TrainStepKind::kZeroParams) return sample_in_batch == 0;
  if (step.kind == TrainStepKind::kUpdate) return sample_in_batch == batch - 1;
  return true;
}

GateBounds GateOf(const engine::Model& model, int index) {
  const engine::OpConstants& c = model.constants[static_cast<size_t>(index)];
  switch (model.graph.op(index).activation) {
    case core::Activation::kNone:
      return {};
    case core::Activation::kRelu:
      return {c.act_min, 128};
    case core::Activation::kRelu6:
      return {c.act_min, c.act_max};
  }
  return {};
}

kilonas_grad_params GradParamsOf(const engine::Model& model, const TrainingGraph& training, int index,
                                 const int8_t* weights, const float* weight_scale) {
  const core::Graph& g = model.graph;
  const core::Op& op = g.op(index);
  const core::Tensor& in = g.InputOf(op);
  const core::Shape& out = g.OutputOf(op).shape;
  kilonas_grad_params p{};
  p.weights = weights;
  p.weight_scale = weight_scale;
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
  p.channels = training.ops[static_cast<size_t>(index)].weight_channels;
  return p;
}

SgdSteps SgdStepsOf(const engine::Model& model, const UpdateScheme& scheme, int index) {
  const core::Graph& g = model.graph;
  const core::Op& op = g.op(index);
  SgdSteps s;
  const double rate = scheme.learning_rate / scheme.batch_size;
  const double in_scale = engine::TensorScale(g.InputOf(op));
  for (float w : engine::WeightScalesOf(model, index)) {
    const double bias_scale = in_scale * w;
    s.weight.push_back(static_cast<float>(scheme.qas ? rate / w : rate * w));
    s.bias.push_back(static_cast<float>(scheme.qas ? rate / bias_scale : rate * bias_scale));
  }
  // Any int8 weights of the channel keep |bias| + 256 x sum|w| inside engine::kMaxAccumulatorBound.
  const int64_t per_channel = g.WeightCount(op) / std::max<int64_t>(1, g.BiasCount(op));
  s.bias_limit = static_cast<int32_t>(std::max<int64_t>(0, engine::kMaxAccumulatorBound - 256 * 127 * per_channel));
  return s;
}

}  // namespace kilonas::ondevice
