#include "supernet/extract.h"

#include "supernet/engine_layout.h"

namespace kilonas::supernet {
namespace {

void SetBatchNorm(const ElasticBatchNorm& bn, int channels, engine::FloatOpWeights& w) {
  w.bn_gamma = ToVector(bn->weight.slice(0, 0, channels));
  w.bn_beta = ToVector(bn->bias.slice(0, 0, channels));
  w.bn_mean = ToVector(bn->running_mean.slice(0, 0, channels));
  w.bn_var = ToVector(bn->running_var.slice(0, 0, channels));
  w.bn_eps = static_cast<float>(bn->eps);
}


}  // namespace

core::Result<engine::FloatModel> ExtractSubnet(Supernet& supernet, const core::SubnetConfig& config) {
  if (core::Status s = supernet->SetActive(config); !s.ok()) return s.error();
  core::Result<core::Graph> graph = core::BuildGraph(supernet->active());
  if (!graph.ok()) return graph.error();
  engine::FloatModel model{std::move(graph).value(), {}};
  const core::Graph& g = model.graph;
  torch::NoGradGuard no_grad;
  for (const core::Op& op : g.ops()) {
    engine::FloatOpWeights w;
    const int in = g.InputOf(op).shape.c, out = g.OutputOf(op).shape.c;
    const size_t dot = op.name.find('.');
    const std::string part = dot == std::string::npos ? op.name : op.name.substr(dot + 1);
    if (op.name == "stem") {
      w.weights = ConvToEngine(supernet->stem->Weight(out, in), op);
      SetBatchNorm(supernet->stem_bn, out, w);
    } else if (op.name == "head") {
      w.weights = ConvToEngine(supernet->head->Weight(out, in), op);
      SetBatchNorm(supernet->head_bn, out, w);
    } else if (op.name == "classifier") {
      w.weights = ToVector(supernet->classifier->weight.slice(1, 0, in));
      w.bias = ToVector(supernet->classifier->bias);
    } else if (op.block >= 0) {
      const MbBlock block = supernet->BlockFor(op.block);
      if (part == "expand") {
        w.weights = ConvToEngine(block->expand->Weight(out, in), op);
        SetBatchNorm(block->expand_bn, out, w);
      } else if (part == "dw") {
        w.weights = ConvToEngine(block->dw->Kernel(op.kernel, out), op);
        SetBatchNorm(block->dw_bn, out, w);
      } else if (part == "project") {
        w.weights = ConvToEngine(block->project->Weight(out, in), op);
        SetBatchNorm(block->project_bn, out, w);
      }
    }
    model.ops.push_back(std::move(w));
  }
  if (core::Status s = engine::ValidateFloatModel(model); !s.ok()) return s.error();
  return model;
}

std::vector<float> ToEngineInput(const torch::Tensor& image) { return ToVector(image.squeeze(0).permute({1, 2, 0})); }

}  // namespace kilonas::supernet
