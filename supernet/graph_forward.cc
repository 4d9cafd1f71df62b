#include "supernet/graph_forward.h"

#include <vector>

#include "supernet/elastic.h"

namespace kilonas::supernet {

torch::Tensor ForwardGraph(const core::Graph& graph, const torch::Tensor& x,
                           const std::function<torch::Tensor(size_t, const torch::Tensor&)>& weighted,
                           ForwardOptions options) {
  const bool in_place_activations = options.in_place_activations;
  std::vector<torch::Tensor> values(graph.tensors().size());
  values[graph.input()] = options.channels_last ? ChannelsLast(x) : x;
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const core::Op& op = graph.op(static_cast<int>(i));
    const torch::Tensor& in = values[op.inputs[0]];
    // LibTorch's layers here are square and pad symmetrically; only imported graphs do otherwise.
    TORCH_CHECK(op.PaddingEnd() == op.padding && op.SquareWindow() && op.PaddingWEnd() == op.padding, "op ", op.name,
                ": padding ", op.padding, " before and ", op.PaddingEnd(), " after, window ", op.kernel, "x",
                op.KernelW(), ", has no LibTorch forward");
    torch::Tensor y;
    switch (op.kind) {
      case core::OpKind::kConv2d:
      case core::OpKind::kPointwiseConv2d:
      case core::OpKind::kDepthwiseConv2d:
        y = weighted(i, in);
        break;
      case core::OpKind::kAdd:
        y = in + values[op.inputs[1]];
        break;
      case core::OpKind::kGlobalAvgPool:
        y = in.mean({2, 3}, /*keepdim=*/true);
        break;
      case core::OpKind::kAvgPool2d:
        y = torch::avg_pool2d(in, op.kernel, op.stride, op.padding, /*ceil_mode=*/false, /*count_include_pad=*/false);
        break;
      case core::OpKind::kMaxPool2d:  // torch pads with -inf: padding is not counted, as in the engine
        y = torch::max_pool2d(in, op.kernel, op.stride, op.padding);
        break;
      case core::OpKind::kFullyConnected:
        y = weighted(i, in.flatten(1));
        break;
      case core::OpKind::kSoftmax:
        y = torch::softmax(in, /*dim=*/1);
        break;
    }
    if (op.activation == core::Activation::kRelu6) y = in_place_activations ? torch::hardtanh_(y, 0.0, 6.0) : Relu6(y);
    if (op.activation == core::Activation::kRelu) y = in_place_activations ? torch::relu_(y) : torch::relu(y);
    values[op.output] = y;
  }
  return values[graph.output()].flatten(1);
}

}  // namespace kilonas::supernet
