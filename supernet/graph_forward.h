// One walk of a Graph of the IR on torch tensors, shared by the frozen subnet and GraphModule:
// residual adds, global pooling and activations as the Graph says, the weighted ops
// (convolutions and the classifier) through the caller's `weighted`.
#pragma once

#include <torch/torch.h>

#include <functional>

#include "core/graph.h"

namespace kilonas::supernet {

struct ForwardOptions {
  // For inference only (autograd needs the pre-activation values).
  bool in_place_activations = false;
  // Activations channels-last (the fast layout on CPU); false keeps the input's layout (the
  // supernet benchmark's NCHW baseline).
  bool channels_last = true;
};

// `weighted(i, input)` computes weighted op i (a convolution on the NCHW-shaped input, or the
// classifier on the flattened input). x: [N, C, r, r] -> logits [N, classes].
torch::Tensor ForwardGraph(const core::Graph& graph, const torch::Tensor& x,
                           const std::function<torch::Tensor(size_t, const torch::Tensor&)>& weighted,
                           ForwardOptions options);

}  // namespace kilonas::supernet
