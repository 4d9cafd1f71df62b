#include "pipeline/fidelity.h"

#include <chrono>

#include "pipeline/int8_eval.h"
#include "search/surrogate.h"

namespace kilonas::pipeline {
namespace {

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

}  // namespace

core::Result<Fidelity> MeasureFidelity(supernet::Supernet& net, const data::ImageSet& train,
                                       const data::ImageSet& validation, const data::ImageSet& test,
                                       const std::vector<core::SubnetConfig>& subnets,
                                       const std::vector<FitnessSetting>& settings, int calibration_images,
                                       const std::function<void(int)>& progress) {
  Fidelity f;
  std::vector<std::vector<double>> fitness(settings.size());
  std::vector<double> seconds(settings.size(), 0);
  double int8_seconds = 0;
  for (size_t i = 0; i < subnets.size(); ++i) {
    const core::SubnetConfig& config = subnets[i];
    auto start = std::chrono::steady_clock::now();
    supernet::EvalOptions bn;
    bn.bn_batches = settings.front().bn_batches;
    bn.bn_batch_size = settings.front().bn_batch_size;
    core::Result<engine::Model> model = QuantizeSubnet(net, config, train, bn, calibration_images, {});
    if (!model.ok()) return model.error();
    core::Result<double> int8 = Int8Accuracy(model.value(), test, config.resolution, 0);
    if (!int8.ok()) return int8.error();
    f.int8_test.push_back(int8.value());
    int8_seconds += Seconds(start);
    for (size_t s = 0; s < settings.size(); ++s) {
      supernet::EvalOptions options;
      options.bn_batches = settings[s].bn_batches;
      options.bn_batch_size = settings[s].bn_batch_size;
      options.max_images = settings[s].validation_images;
      start = std::chrono::steady_clock::now();
      fitness[s].push_back(supernet::EvaluateSubnet(net, config, train, validation, options));
      seconds[s] += Seconds(start);
    }
    if (progress) progress(static_cast<int>(i));
  }
  const double n = static_cast<double>(std::max<size_t>(subnets.size(), 1));
  for (size_t s = 0; s < settings.size(); ++s) {
    f.rows.push_back({settings[s], search::KendallTau(fitness[s], f.int8_test), seconds[s] / n});
  }
  f.int8_seconds_per_subnet = int8_seconds / n;
  return f;
}

}  // namespace kilonas::pipeline
