#include "supernet/static_subnet.h"

#include "supernet/elastic.h"
#include "supernet/engine_layout.h"
#include "supernet/graph_forward.h"

namespace kilonas::supernet {
namespace F = torch::nn::functional;

StaticSubnet::StaticSubnet(const core::FloatModel& model) : graph_(model.graph) {
  for (size_t i = 0; i < graph_.ops().size(); ++i) {
    const core::Op& op = graph_.op(static_cast<int>(i));
    Step step{op, {}, {}, 1};
    const int in = graph_.InputOf(op).shape.c, out = graph_.OutputOf(op).shape.c;
    if (core::Traits(op.kind).has_weights) {
      const core::FloatOpWeights w = core::FoldBatchNorm(graph_, op, model.ops[i]);
      step.bias = FromVector(w.bias, {static_cast<int64_t>(w.bias.size())});
      if (core::Traits(op.kind).window) {  // a convolution
        step.weight = ChannelsLast(ConvFromEngine(w.weights, op, in, out));
        step.groups = op.kind == core::OpKind::kDepthwiseConv2d ? out : 1;
      } else {  // fully connected [out][in]
        step.weight = FromVector(w.weights, {out, in});
      }
    }
    steps_.push_back(std::move(step));
  }
}

torch::Tensor StaticSubnet::Forward(const torch::Tensor& x) const {
  c10::InferenceMode inference;
  return ForwardGraph(
      graph_, x,
      [&](size_t i, const torch::Tensor& in) {
        const Step& s = steps_[i];
        if (s.op.kind == core::OpKind::kFullyConnected) return F::linear(in, s.weight, s.bias);
        return F::conv2d(
            in, s.weight,
            F::Conv2dFuncOptions().bias(s.bias).stride(s.op.stride).padding(s.op.padding).groups(s.groups));
      },
      {/*in_place_activations=*/true});
}

}  // namespace kilonas::supernet
