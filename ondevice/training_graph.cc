#include "ondevice/training_graph.h"

#include <algorithm>

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

}  // namespace

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
    if (o.weight_channels > 0) t.kept[op.inputs[0]] = true;
  }
  t.gated.assign(graph.tensors().size(), false);
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const int out = graph.op(static_cast<int>(i)).output;
    t.gated[static_cast<size_t>(out)] = t.ops[i].mask && !t.kept[static_cast<size_t>(out)];
  }
  return t;
}

}  // namespace kilonas::ondevice
