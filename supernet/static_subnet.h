// A subnet frozen for inference: the extracted float model (supernet/extract.h, the export's own
// weights) with batch norm folded into the convolutions (core::FoldBatchNorm, the export's own
// folding), weights as channels-last tensors, run op by op under InferenceMode. What subnet
// evaluation runs after batch-norm recalibration: no elastic slicing, kernel transforms or batch
// norm per forward.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/float_model.h"

namespace kilonas::supernet {

class StaticSubnet {
 public:
  explicit StaticSubnet(const core::FloatModel& model);
  // x: [N, C, r, r] normalised input (any layout) -> logits [N, classes].
  torch::Tensor Forward(const torch::Tensor& x) const;

 private:
  struct Step {
    core::Op op;
    torch::Tensor weight, bias;  // conv: [out, in/groups, k, k] channels-last; FC: [out, in]
    int groups = 1;
  };
  core::Graph graph_;
  std::vector<Step> steps_;
};

}  // namespace kilonas::supernet
