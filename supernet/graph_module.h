// A plain, trainable LibTorch module of any Graph of the IR: one torch::nn::Conv2d + BatchNorm2d
// per convolution, Linear for the classifier, residual adds and global pooling as the Graph says,
// weights and activations channels-last. No elastic slicing or kernel transforms: the reference
// that the supernet's training step is measured against (bench/supernet_bench.cc), and a network
// that can be trained from scratch or fine-tuned for a fixed Graph, and converted to and from the
// engine's core::FloatModel (the export's float form: conv weights with batch norm, classifier bias).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/float_model.h"
#include "core/graph.h"

namespace kilonas::supernet {

class GraphModuleImpl : public torch::nn::Module {
 public:
  explicit GraphModuleImpl(const core::Graph& graph);
  // x: [N, C, r, r] normalised input at the Graph's resolution (any layout) -> logits [N, classes].
  torch::Tensor forward(const torch::Tensor& x);

  const core::Graph& graph() const { return graph_; }
  // Loads weights and batch-norm statistics of a core::FloatModel of the same Graph (every conv with
  // batch norm and no bias, as the supernet extracts them); errors name the op that does not fit.
  core::Status LoadFloat(const core::FloatModel& model);
  // The weights and batch-norm statistics as a core::FloatModel (what the quantizer takes).
  core::FloatModel ToFloat() const;

 private:
  core::Graph graph_;
  // Indexed by op; null where the op has no such layer.
  std::vector<torch::nn::Conv2d> convs_;
  std::vector<torch::nn::BatchNorm2d> norms_;
  std::vector<torch::nn::Linear> linears_;
};
TORCH_MODULE(GraphModule);

}  // namespace kilonas::supernet
