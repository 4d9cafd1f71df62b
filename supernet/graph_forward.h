// One walk of a Graph of the IR on torch tensors, shared by the frozen subnet and GraphModule:
// residual adds, global pooling and activations as the Graph says, the weighted ops
// (convolutions and the classifier) through the caller's `weighted`.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "core/graph.h"

namespace kilonas::supernet {

// `weighted(i, input)` computes weighted op i (a convolution on the NCHW-shaped, channels-last
// input, or the classifier on the flattened input). x: [N, C, r, r] -> logits [N, classes].
// In-place activations are for inference only (autograd needs the pre-activation values).
torch::Tensor ForwardGraph(const core::Graph& graph, const torch::Tensor& x,
                           const std::function<torch::Tensor(size_t, const torch::Tensor&)>& weighted,
                           bool in_place_activations);

}  // namespace kilonas::supernet
