#include "supernet/supernet.h"

#include <algorithm>

#include "supernet/graph_forward.h"

namespace kilonas::supernet {
MbBlockImpl::MbBlockImpl(int max_in, int max_out, int max_expand, const std::vector<int>& kernels) {
  const int max_mid = max_in * max_expand;
  if (max_expand > 1) {
    expand = register_module("expand", ElasticPointwise(max_in, max_mid));
    expand_bn = register_module("expand_bn", ElasticBatchNorm(max_mid));
  }
  dw = register_module("dw", ElasticDepthwise(max_mid, kernels));
  dw_bn = register_module("dw_bn", ElasticBatchNorm(max_mid));
  project = register_module("project", ElasticPointwise(max_mid, max_out));
  project_bn = register_module("project_bn", ElasticBatchNorm(max_out));
}

void MbBlockImpl::SortExpandedChannels() {
  if (!expand) return;
  torch::NoGradGuard no_grad;
  const torch::Tensor importance = project->weight.abs().sum({0, 2, 3});
  const torch::Tensor order = std::get<1>(importance.sort(0, /*descending=*/true));
  auto permute = [&](torch::Tensor& t, int64_t dim) { t.copy_(t.index_select(dim, order)); };
  permute(project->weight, 1);
  permute(expand->weight, 0);
  for (ElasticBatchNorm& bn : {std::ref(expand_bn), std::ref(dw_bn)}) {
    permute(bn->weight, 0);
    permute(bn->bias, 0);
    permute(bn->running_mean, 0);
    permute(bn->running_var, 0);
  }
  permute(dw->weight, 0);
}

SupernetImpl::SupernetImpl(const core::OfaSpace& space) : space_(space) {
  const double wmax = *std::max_element(space.width_choices.begin(), space.width_choices.end());
  const int emax = *std::max_element(space.expand_choices.begin(), space.expand_choices.end());
  auto scale = [&](int c) { return core::MakeDivisible(c * wmax, 8, space.rounding); };
  stem = register_module("stem", ElasticConv(space.in_channels, scale(space.stem_channels), 3, space.stem_stride));
  stem_bn = register_module("stem_bn", ElasticBatchNorm(scale(space.stem_channels)));
  int in = scale(space.stem_channels);
  blocks.push_back(register_module("block0", MbBlock(in, scale(space.first_block_channels), 1, space.kernel_choices)));
  in = scale(space.first_block_channels);
  for (const core::OfaStageSpec& stage : space.stages) {
    const int depth = *std::max_element(stage.depth_choices.begin(), stage.depth_choices.end());
    for (int b = 0; b < depth; ++b) {
      const std::string name = "block" + std::to_string(blocks.size());
      blocks.push_back(register_module(name, MbBlock(in, scale(stage.channels), emax, space.kernel_choices)));
      in = scale(stage.channels);
    }
  }
  if (space.head_channels > 0) {
    head = register_module("head", ElasticPointwise(in, scale(space.head_channels)));
    head_bn = register_module("head_bn", ElasticBatchNorm(scale(space.head_channels)));
    in = scale(space.head_channels);
  }
  classifier = register_module("classifier", ElasticLinear(in, space.num_classes));
  const core::Status s = SetActive(core::LargestSubnet(space));
  TORCH_CHECK(s.ok(), s.message());
}

core::Status SupernetImpl::SetActive(const core::SubnetConfig& config) {
  core::Result<core::NetSpec> spec = core::ToNetSpec(space_, config);
  if (!spec.ok()) return spec.error();
  core::Result<core::BuiltNet> net = core::BuildNet(spec.value());
  if (!net.ok()) return net.error();
  active_config_ = config;
  active_ = std::move(spec).value();
  active_net_ = std::move(net).value();
  active_blocks_ = {0};
  int first = 1;
  for (size_t s = 0; s < space_.stages.size(); ++s) {
    for (size_t b = 0; b < config.stages[s].size(); ++b) active_blocks_.push_back(first + static_cast<int>(b));
    first += *std::max_element(space_.stages[s].depth_choices.begin(), space_.stages[s].depth_choices.end());
  }
  return core::Status::Ok();
}

MbBlock SupernetImpl::BlockFor(int index) const { return blocks.at(active_blocks_.at(index)); }

torch::Tensor SupernetImpl::forward(const torch::Tensor& x) {
  const core::Graph& graph = active_net_.graph;
  return ForwardGraph(graph, x,
                      [&](size_t i, const torch::Tensor& in) {
                        const core::Op& op = graph.op(static_cast<int>(i));
                        const core::SpecOp& part = active_net_.parts[i];
                        const int out = graph.OutputOf(op).shape.c;
                        switch (part.part) {
                          case core::SpecPart::kStem:
                            return stem_bn(stem(in, out));
                          case core::SpecPart::kExpand:
                            return BlockFor(part.block)->expand_bn(BlockFor(part.block)->expand(in, out));
                          case core::SpecPart::kDepthwise:
                            return BlockFor(part.block)->dw_bn(BlockFor(part.block)->dw(in, op.kernel, op.stride));
                          case core::SpecPart::kProject:
                            return BlockFor(part.block)->project_bn(BlockFor(part.block)->project(in, out));
                          case core::SpecPart::kHead:
                            return head_bn(head(in, out));
                          case core::SpecPart::kClassifier:
                            return classifier(in);
                          case core::SpecPart::kResidualAdd:
                          case core::SpecPart::kPool:
                            break;
                        }
                        TORCH_CHECK(false, "op ", op.name, " has no weights");
                      },
                      {/*in_place_activations=*/false, channels_last});
}

void SupernetImpl::SortExpandedChannels() {
  for (MbBlock& block : blocks) block->SortExpandedChannels();
}

}  // namespace kilonas::supernet
