#include "supernet/static_subnet.h"

#include "supernet/elastic.h"
#include "supernet/engine_layout.h"

namespace kilonas::supernet {
namespace F = torch::nn::functional;

StaticSubnet::StaticSubnet(const engine::FloatModel& model) : graph_(model.graph) {
  for (size_t i = 0; i < graph_.ops().size(); ++i) {
    const core::Op& op = graph_.op(static_cast<int>(i));
    Step step{op, {}, {}, 1};
    const int in = graph_.InputOf(op).shape.c, out = graph_.OutputOf(op).shape.c;
    const bool has_weights = op.kind != core::OpKind::kAdd && op.kind != core::OpKind::kGlobalAvgPool;
    if (has_weights) {
      const engine::FloatOpWeights w = engine::FoldBatchNorm(graph_, op, model.ops[i]);
      step.bias = FromVector(w.bias, {static_cast<int64_t>(w.bias.size())});
      switch (op.kind) {
        case core::OpKind::kConv2d:
        case core::OpKind::kPointwiseConv2d:
        case core::OpKind::kDepthwiseConv2d:
          step.weight = ChannelsLast(ConvFromEngine(w.weights, op, in, out));
          step.groups = op.kind == core::OpKind::kDepthwiseConv2d ? out : 1;
          break;
        default:  // fully connected [out][in]
          step.weight = FromVector(w.weights, {out, in});
      }
    }
    steps_.push_back(std::move(step));
  }
}

torch::Tensor StaticSubnet::Forward(const torch::Tensor& x) const {
  c10::InferenceMode inference;
  std::vector<torch::Tensor> values(graph_.tensors().size());
  values[graph_.input()] = ChannelsLast(x);
  for (const Step& s : steps_) {
    const core::Op& op = s.op;
    const torch::Tensor& in = values[op.inputs[0]];
    torch::Tensor y;
    switch (op.kind) {
      case core::OpKind::kConv2d:
      case core::OpKind::kPointwiseConv2d:
      case core::OpKind::kDepthwiseConv2d:
        y = F::conv2d(in, s.weight,
                      F::Conv2dFuncOptions().bias(s.bias).stride(op.stride).padding(op.padding).groups(s.groups));
        break;
      case core::OpKind::kAdd:
        y = in + values[op.inputs[1]];
        break;
      case core::OpKind::kGlobalAvgPool:
        y = in.mean({2, 3}, /*keepdim=*/true);
        break;
      case core::OpKind::kFullyConnected:
        y = F::linear(in.flatten(1), s.weight, s.bias);
        break;
    }
    if (op.activation == core::Activation::kRelu6) y = torch::hardtanh_(y, 0.0, 6.0);
    if (op.activation == core::Activation::kRelu) y = torch::relu_(y);
    values[op.output] = y;
  }
  return values[graph_.output()].flatten(1);
}

}  // namespace kilonas::supernet
