#include "supernet/graph_module.h"

#include <string>

#include "supernet/elastic.h"

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
    switch (op.kind) {
      case core::OpKind::kConv2d:
      case core::OpKind::kPointwiseConv2d:
      case core::OpKind::kDepthwiseConv2d: {
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
        break;
      }
      case core::OpKind::kFullyConnected:
        linears_[i] = register_module(name, torch::nn::Linear(in, out));
        break;
      case core::OpKind::kAdd:
      case core::OpKind::kGlobalAvgPool:
        break;
    }
  }
}

torch::Tensor GraphModuleImpl::forward(const torch::Tensor& x) {
  std::vector<torch::Tensor> values(graph_.tensors().size());
  values[graph_.input()] = ChannelsLast(x);
  for (size_t i = 0; i < graph_.ops().size(); ++i) {
    const core::Op& op = graph_.op(static_cast<int>(i));
    const torch::Tensor& in = values[op.inputs[0]];
    torch::Tensor y;
    switch (op.kind) {
      case core::OpKind::kConv2d:
      case core::OpKind::kPointwiseConv2d:
      case core::OpKind::kDepthwiseConv2d:
        y = norms_[i]->forward(convs_[i]->forward(in));
        break;
      case core::OpKind::kAdd:
        y = in + values[op.inputs[1]];
        break;
      case core::OpKind::kGlobalAvgPool:
        y = in.mean({2, 3}, /*keepdim=*/true);
        break;
      case core::OpKind::kFullyConnected:
        y = linears_[i]->forward(in.flatten(1));
        break;
    }
    if (op.activation == core::Activation::kRelu6) y = Relu6(y);
    if (op.activation == core::Activation::kRelu) y = torch::relu(y);
    values[op.output] = y;
  }
  return values[graph_.output()].flatten(1);
}

}  // namespace kilonas::supernet
