// The once-for-all supernet of an OfaSpace: the largest network's weights, running any
// SubnetConfig of the space. The active subnet is core's NetSpec built into a Graph, and forward()
// walks that Graph (graph_forward.h) as the frozen subnet and GraphModule do: the block rules
// (expand, residual) are core's alone, so the torch network and the exported Graph cannot disagree.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/net_spec.h"
#include "core/ofa_space.h"
#include "supernet/elastic.h"

namespace kilonas::supernet {

// The weights of one block position of the largest network; the Graph decides which run.
class MbBlockImpl : public torch::nn::Module {
 public:
  // max_expand 1: the fixed first block (no expand conv).
  MbBlockImpl(int max_in, int max_out, int max_expand, const std::vector<int>& kernels);
  // OFA's channel importance sort: expanded channels ordered by the L1 norm of the projection
  // weights reading them, so that slicing to a smaller expand ratio keeps the important ones.
  void SortExpandedChannels();

  ElasticPointwise expand{nullptr};
  ElasticBatchNorm expand_bn{nullptr};
  ElasticDepthwise dw{nullptr};
  ElasticBatchNorm dw_bn{nullptr};
  ElasticPointwise project{nullptr};
  ElasticBatchNorm project_bn{nullptr};
};
TORCH_MODULE(MbBlock);

class SupernetImpl : public torch::nn::Module {
 public:
  explicit SupernetImpl(const core::OfaSpace& space);

  // Selects the subnet forward() runs. Errors when the config is not in the space.
  core::Status SetActive(const core::SubnetConfig& config);
  const core::SubnetConfig& active_config() const { return active_config_; }
  const core::NetSpec& active() const { return active_; }
  const core::BuiltNet& active_net() const { return active_net_; }  // active()'s Graph and parts

  // x: [N, C, r, r] at the active resolution, normalised.
  torch::Tensor forward(const torch::Tensor& x);

  // Supernet block that runs block `index` of the active NetSpec.
  MbBlock BlockFor(int index) const;
  void SortExpandedChannels();
  const core::OfaSpace& space() const { return space_; }

  ElasticConv stem{nullptr};
  ElasticBatchNorm stem_bn{nullptr};
  std::vector<MbBlock> blocks;  // first block, then every stage's max depth
  ElasticPointwise head{nullptr};
  ElasticBatchNorm head_bn{nullptr};
  ElasticLinear classifier{nullptr};
  // Activations (and the weights each conv reads) in channels-last layout: 1.5-1.75x images/s
  // for the 5x5 and 7x7 depthwise convolutions on CPU (bench/supernet_bench). Parameters stay
  // NCHW, so checkpoints and extraction do not depend on it.
  bool channels_last = true;

 private:
  core::OfaSpace space_;
  core::SubnetConfig active_config_;
  core::NetSpec active_;
  core::BuiltNet active_net_;       // active_'s Graph and what each op is in it
  std::vector<int> active_blocks_;  // NetSpec block -> index into `blocks`
};
TORCH_MODULE(Supernet);

}  // namespace kilonas::supernet
