#include "supernet/extract.h"

#include "supernet/engine_layout.h"

namespace kilonas::supernet {
namespace {

void SetBatchNorm(const ElasticBatchNorm& bn, int channels, core::FloatOpWeights& w) {
  w.bn_gamma = ToVector(bn->weight.slice(0, 0, channels));
  w.bn_beta = ToVector(bn->bias.slice(0, 0, channels));
  w.bn_mean = ToVector(bn->running_mean.slice(0, 0, channels));
  w.bn_var = ToVector(bn->running_var.slice(0, 0, channels));
  w.bn_eps = static_cast<float>(bn->eps);
}

// A convolution with its batch norm (folded later, by the quantizer).
void SetConv(const torch::Tensor& weight, const ElasticBatchNorm& bn, const core::Op& op, int out,
             core::FloatOpWeights& w) {
  w.weights = ConvToEngine(weight, op);
  SetBatchNorm(bn, out, w);
}

}  // namespace

core::Result<core::FloatModel> ExtractSubnet(Supernet& supernet, const core::SubnetConfig& config) {
  if (core::Status s = supernet->SetActive(config); !s.ok()) return s.error();
  const core::BuiltNet& net = supernet->active_net();  // built by SetActive
  core::FloatModel model{net.graph, {}};
  const core::Graph& g = model.graph;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const core::Op& op = g.op(static_cast<int>(i));
    const core::SpecOp& spec = net.parts[i];
    core::FloatOpWeights w;
    const int in = g.InputOf(op).shape.c, out = g.OutputOf(op).shape.c;
    switch (spec.part) {
      case core::SpecPart::kStem:
        SetConv(supernet->stem->Weight(out, in), supernet->stem_bn, op, out, w);
        break;
      case core::SpecPart::kHead:
        SetConv(supernet->head->Weight(out, in), supernet->head_bn, op, out, w);
        break;
      case core::SpecPart::kClassifier:
        w.weights = ToVector(supernet->classifier->weight.slice(1, 0, in));
        w.bias = ToVector(supernet->classifier->bias);
        break;
      case core::SpecPart::kExpand:
        SetConv(supernet->BlockFor(spec.block)->expand->Weight(out, in), supernet->BlockFor(spec.block)->expand_bn, op,
                out, w);
        break;
      case core::SpecPart::kDepthwise:
        SetConv(supernet->BlockFor(spec.block)->dw->Kernel(op.kernel, out), supernet->BlockFor(spec.block)->dw_bn, op,
                out, w);
        break;
      case core::SpecPart::kProject:
        SetConv(supernet->BlockFor(spec.block)->project->Weight(out, in), supernet->BlockFor(spec.block)->project_bn,
                op, out, w);
        break;
      case core::SpecPart::kResidualAdd:
      case core::SpecPart::kPool:
        break;  // no weights
    }
    model.ops.push_back(std::move(w));
  }
  if (core::Status s = core::ValidateFloatModel(model); !s.ok()) return s.error();
  return model;
}

std::vector<float> ToEngineInput(const torch::Tensor& image) { return ToVector(image.squeeze(0).permute({1, 2, 0})); }

}  // namespace kilonas::supernet
