#include "supernet/evaluate.h"

#include <numeric>

#include "supernet/extract.h"
#include "supernet/static_subnet.h"

namespace kilonas::supernet {

void RecalibrateBatchNorm(Supernet& net, const ImageSet& calibration, int batches, int batch_size) {
  torch::NoGradGuard no_grad;
  std::vector<ElasticBatchNorm> norms;
  for (const auto& module : net->modules(/*include_self=*/false)) {
    if (auto bn = std::dynamic_pointer_cast<ElasticBatchNormImpl>(module)) {
      bn->running_mean.zero_();
      bn->running_var.fill_(1.0);
      norms.emplace_back(bn);
    }
  }
  net->train();
  const int resolution = net->active_config().resolution;
  const int64_t total = static_cast<int64_t>(calibration.size());
  for (int b = 0; b < batches; ++b) {
    for (ElasticBatchNorm& bn : norms) bn->momentum = 1.0 / (b + 1);  // cumulative average
    std::vector<int64_t> indices(batch_size);
    for (int i = 0; i < batch_size; ++i) indices[i] = (static_cast<int64_t>(b) * batch_size + i) % total;
    net->forward(ToInput(calibration, indices, resolution));
  }
  for (ElasticBatchNorm& bn : norms) bn->momentum = 0.1;
  net->eval();
}

double TopOneAccuracy(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const ImageSet& eval,
                      int resolution, const EvalOptions& options) {
  torch::NoGradGuard no_grad;
  const int64_t total = options.max_images > 0 ? std::min<int64_t>(options.max_images, eval.size()) : eval.size();
  int64_t correct = 0;
  for (int64_t first = 0; first < total; first += options.batch_size) {
    std::vector<int64_t> indices(std::min<int64_t>(options.batch_size, total - first));
    std::iota(indices.begin(), indices.end(), first);
    const torch::Tensor logits = forward(ToInput(eval, indices, resolution));
    correct += logits.argmax(1).eq(LabelsTensor(eval, indices)).sum().item<int64_t>();
  }
  return total > 0 ? static_cast<double>(correct) / static_cast<double>(total) : 0.0;
}

double FloatModelAccuracy(const core::FloatModel& model, const ImageSet& eval, int resolution,
                          const EvalOptions& options) {
  const StaticSubnet frozen(model);
  return TopOneAccuracy([&](const torch::Tensor& x) { return frozen.Forward(x); }, eval, resolution, options);
}

core::Result<core::FloatModel> RecalibratedSubnet(Supernet& net, const core::SubnetConfig& config,
                                                  const ImageSet& calibration, const EvalOptions& options) {
  if (core::Status s = net->SetActive(config); !s.ok()) return s.error();
  RecalibrateBatchNorm(net, calibration, options.bn_batches, options.bn_batch_size);
  return ExtractSubnet(net, config);
}

double EvaluateSubnet(Supernet& net, const core::SubnetConfig& config, const ImageSet& calibration,
                      const ImageSet& eval, const EvalOptions& options) {
  core::Result<core::FloatModel> extracted = RecalibratedSubnet(net, config, calibration, options);
  TORCH_CHECK(extracted.ok(), extracted.error().message);
  return FloatModelAccuracy(extracted.value(), eval, config.resolution, options);
}

}  // namespace kilonas::supernet
