#include "ondevice/training_graph.h"

#include <algorithm>
#include <string>

#include "core/kernel_registry.h"

namespace kilonas::ondevice {
namespace {

// The logits the loss reads: a final softmax is folded into the loss (softmax cross-entropy's
// gradient at the logits is p - y), so its input.
int LossTensor(const core::Graph& graph) {
  const int producer = graph.Producer(graph.output());
  if (producer >= 0 && graph.op(producer).kind == core::OpKind::kSoftmax) return graph.op(producer).inputs[0];
  return graph.output();
}

// Tensors whose gradient the step needs: downstream of (or at) a trainable layer's output and
// upstream of the loss. Ops are in execution order: a forward sweep marks what is downstream, a
// backward sweep what is upstream.
std::vector<bool> GradientTensors(const core::Graph& graph, const std::vector<OpTraining>& ops, int loss) {
  std::vector<bool> downstream(graph.tensors().size(), false);
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const core::Op& op = graph.op(static_cast<int>(i));
    const bool trainable = ops[i].bias_grad || ops[i].weight_channels > 0;
    const bool fed = std::any_of(op.inputs.begin(), op.inputs.end(), [&](int t) { return downstream[t]; });
    downstream[op.output] = trainable || fed;
  }
  std::vector<bool> upstream(graph.tensors().size(), false);
  upstream[loss] = true;
  for (size_t i = graph.ops().size(); i-- > 0;) {
    const core::Op& op = graph.op(static_cast<int>(i));
    if (!upstream[op.output]) continue;
    for (int t : op.inputs) upstream[t] = true;
  }
  std::vector<bool> needed(graph.tensors().size(), false);
  for (size_t t = 0; t < needed.size(); ++t) needed[t] = downstream[t] && upstream[t];
  return needed;
}

// An op the step must pass a gradient through (or compute weight gradients of) without a backward
// kernel for it (kernel registry): a softmax inside the network.
core::Status CheckBackwardKernels(const core::Graph& graph, const std::vector<OpTraining>& ops) {
  for (size_t i = 0; i < ops.size(); ++i) {
    const core::Op& op = graph.op(static_cast<int>(i));
    const bool passes = std::any_of(ops[i].input_grad.begin(), ops[i].input_grad.end(), [](bool b) { return b; });
    const bool missing =
        (passes && core::FindTrainKernel(op.kind, core::GradPart::kInput) == core::TrainKernelId::kNone) ||
        (ops[i].weight_channels > 0 &&
         core::FindTrainKernel(op.kind, core::GradPart::kWeight) == core::TrainKernelId::kNone);
    if (missing) {
      return core::Error{"op " + std::to_string(i) + " '" + op.name + "' (" + std::string(core::Traits(op.kind).name) +
                         ") is on the backward path of the update scheme, and training cannot pass a gradient "
                         "through that kind; update only layers after it"};
    }
  }
  return core::Status::Ok();
}

}  // namespace

bool BackwardReadsInput(core::OpKind kind, const OpTraining& o) {
  if (o.weight_channels > 0) return true;
  const bool passes = std::any_of(o.input_grad.begin(), o.input_grad.end(), [](bool b) { return b; });
  const core::TrainKernelId id = core::FindTrainKernel(kind, core::GradPart::kInput);
  return passes && id != core::TrainKernelId::kNone && core::TrainKernelInfo(id).reads_input;
}

int TrainingGraph::BackwardOps() const {
  return static_cast<int>(std::count_if(ops.begin(), ops.end(), [](const OpTraining& o) { return o.Backward(); }));
}

int64_t TrainingGraph::KeptBytes(const core::Graph& graph) const {
  int64_t bytes = 0;
  for (size_t t = 0; t < kept.size(); ++t) {
    const core::Tensor& x = graph.tensor(static_cast<int>(t));
    bytes += kept[t] ? x.Bytes() : (gated[t] ? GateBytes(x.shape.Elements()) : 0);
  }
  return bytes;
}

core::Result<TrainingGraph> DeriveTrainingGraph(const engine::Model& model, const UpdateScheme& scheme) {
  if (core::Status s = ValidateUpdateScheme(scheme, model, "update scheme"); !s.ok()) return s.error();
  const core::Graph& graph = model.graph;
  TrainingGraph t;
  t.ops.resize(graph.ops().size());
  for (const LayerUpdate& u : scheme.layers) {
    for (size_t i = 0; i < graph.ops().size(); ++i) {
      const core::Op& op = graph.op(static_cast<int>(i));
      if (op.name != u.layer) continue;
      t.ops[i].bias_grad = u.bias;
      t.ops[i].weight_channels = u.weights.Channels(graph.OutputOf(op).shape.c);
    }
  }
  t.loss_tensor = LossTensor(graph);
  const std::vector<bool> needed = GradientTensors(graph, t.ops, t.loss_tensor);
  t.kept.assign(graph.tensors().size(), false);
  t.kept[static_cast<size_t>(t.loss_tensor)] = true;
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const core::Op& op = graph.op(static_cast<int>(i));
    OpTraining& o = t.ops[i];
    o.output_grad = needed[op.output];  // a final softmax's is not: the loss takes its input
    for (int in : op.inputs) o.input_grad.push_back(o.output_grad && needed[in]);
    o.mask = o.output_grad && op.activation != core::Activation::kNone;
    if (BackwardReadsInput(op.kind, o)) t.kept[op.inputs[0]] = true;
  }
  t.gated.assign(graph.tensors().size(), false);
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const int out = graph.op(static_cast<int>(i)).output;
    t.gated[static_cast<size_t>(out)] = t.ops[i].mask && !t.kept[static_cast<size_t>(out)];
  }
  if (core::Status s = CheckBackwardKernels(graph, t.ops); !s.ok()) return s.error();
  return t;
}

}  // namespace kilonas::ondevice
