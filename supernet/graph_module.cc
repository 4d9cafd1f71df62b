#include "supernet/graph_module.h"

#include <string>

#include "supernet/elastic.h"
#include "supernet/engine_layout.h"
#include "supernet/graph_forward.h"

namespace kilonas::supernet {

GraphModuleImpl::GraphModuleImpl(const core::Graph& graph) : graph_(graph) {
  const size_t n = graph_.ops().size();
  convs_.assign(n, nullptr);
  norms_.assign(n, nullptr);
  linears_.assign(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    const core::Op& op = graph_.op(static_cast<int>(i));
    const int in = graph_.InputOf(op).shape.c, out = graph_.OutputOf(op).shape.c;
    const std::string name = "op" + std::to_string(i);
    const core::OpKindTraits& traits = core::Traits(op.kind);
    if (traits.has_weights && traits.window) {  // a convolution with batch norm
      const int groups = op.kind == core::OpKind::kDepthwiseConv2d ? out : 1;
      convs_[i] = register_module(name, torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, op.kernel)
                                                              .stride(op.stride)
                                                              .padding(op.padding)
                                                              .groups(groups)
                                                              .bias(false)));
      // As PyTorch's model.to(memory_format=channels_last), with the explicit copy that
      // tensors of one input channel need (elastic.h).
      convs_[i]->weight.set_data(ChannelsLast(convs_[i]->weight.detach()));
      norms_[i] = register_module(name + "_bn", torch::nn::BatchNorm2d(out));
    } else if (traits.has_weights) {  // fully connected
      linears_[i] = register_module(name, torch::nn::Linear(in, out));
    }
  }
}

torch::Tensor GraphModuleImpl::forward(const torch::Tensor& x) {
  return ForwardGraph(graph_, x,
                      [&](size_t i, const torch::Tensor& in) {
                        return convs_[i] ? norms_[i]->forward(convs_[i]->forward(in)) : linears_[i]->forward(in);
                      },
                      {/*in_place_activations=*/false});
}

core::Status GraphModuleImpl::LoadFloat(const core::FloatModel& model) {
  if (core::Status s = core::ValidateFloatModel(model); !s.ok()) return s;
  if (model.ops.size() != graph_.ops().size()) return core::Status::Fail("float model has another graph");
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < graph_.ops().size(); ++i) {
    const core::Op& op = graph_.op(static_cast<int>(i));
    const core::FloatOpWeights& w = model.ops[i];
    const int in = graph_.InputOf(op).shape.c, out = graph_.OutputOf(op).shape.c;
    if (op.kind != model.graph.op(static_cast<int>(i)).kind ||
        out != model.graph.OutputOf(model.graph.op(static_cast<int>(i))).shape.c) {
      return core::Status::Fail("op " + op.name + ": the float model's op differs from this graph's");
    }
    if (convs_[i]) {
      if (w.bn_gamma.empty() || !w.bias.empty()) {
        return core::Status::Fail("op " + op.name + ": a conv needs batch norm and no bias to load into a GraphModule");
      }
      convs_[i]->weight.set_data(ChannelsLast(ConvFromEngine(w.weights, op, in, out)));
      norms_[i]->weight.copy_(FromVector(w.bn_gamma, {out}));
      norms_[i]->bias.copy_(FromVector(w.bn_beta, {out}));
      norms_[i]->running_mean.copy_(FromVector(w.bn_mean, {out}));
      norms_[i]->running_var.copy_(FromVector(w.bn_var, {out}));
      norms_[i]->options.eps(w.bn_eps);
    } else if (linears_[i]) {
      linears_[i]->weight.copy_(FromVector(w.weights, {out, in}));
      linears_[i]->bias.copy_(w.bias.empty() ? torch::zeros({out}) : FromVector(w.bias, {out}));
    }
  }
  return core::Status::Ok();
}

core::FloatModel GraphModuleImpl::ToFloat() const {
  core::FloatModel model{graph_, {}};
  for (size_t i = 0; i < graph_.ops().size(); ++i) {
    const core::Op& op = graph_.op(static_cast<int>(i));
    core::FloatOpWeights w;
    if (convs_[i]) {
      w.weights = ConvToEngine(convs_[i]->weight, op);
      w.bn_gamma = ToVector(norms_[i]->weight);
      w.bn_beta = ToVector(norms_[i]->bias);
      w.bn_mean = ToVector(norms_[i]->running_mean);
      w.bn_var = ToVector(norms_[i]->running_var);
      w.bn_eps = static_cast<float>(norms_[i]->options.eps());
    } else if (linears_[i]) {
      w.weights = ToVector(linears_[i]->weight);
      w.bias = ToVector(linears_[i]->bias);
    }
    model.ops.push_back(std::move(w));
  }
  return model;
}

}  // namespace kilonas::supernet
