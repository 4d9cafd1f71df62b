#include "pipeline/int8_eval.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "supernet/extract.h"

namespace kilonas::pipeline {

std::vector<float> EngineImage(const data::ImageSet& set, int64_t i, int resolution) {
  return supernet::ToEngineInput(supernet::ToInput(set, {i}, resolution));
}

core::Result<engine::Model> QuantizeSubnet(supernet::Supernet& net, const core::SubnetConfig& config,
                                           const data::ImageSet& train, const supernet::EvalOptions& bn,
                                           int calibration_images, const engine::ExecutionConfig& execution) {
  core::Result<core::FloatModel> float_model = supernet::RecalibratedSubnet(net, config, train, bn);
  if (!float_model.ok()) return float_model.error();
  return QuantizeFloatModel(float_model.value(), train, config.resolution, calibration_images, execution);
}

core::Result<engine::Model> QuantizeFloatModel(const core::FloatModel& model, const data::ImageSet& train,
                                               int resolution, int calibration_images,
                                               const engine::ExecutionConfig& execution) {
  std::vector<std::vector<float>> calibration;
  const int64_t n = static_cast<int64_t>(train.size());
  for (int i = 0; i < calibration_images; ++i) calibration.push_back(EngineImage(train, (i * 37) % n, resolution));
  core::Result<engine::Model> quantized = engine::Quantize(model, calibration, execution);
  if (quantized.ok()) {
    quantized.value().input_mean = train.normalization.mean;
    quantized.value().input_std = train.normalization.std;
  }
  return quantized;
}

core::Result<std::vector<int>> Int8Predictions(const engine::Model& model, const data::ImageSet& set, int resolution,
                                               int64_t max_images) {
  if (core::Result<engine::Interpreter> check = engine::Interpreter::Create(model); !check.ok()) return check.error();
  const int64_t n = max_images > 0 ? std::min<int64_t>(max_images, static_cast<int64_t>(set.size())) : set.size();
  std::vector<int> predicted(static_cast<size_t>(n), -1);
  if (n == 0) return predicted;
  // Every image resized in one pass (the same per-image values as EngineImage), then the
  // interpreter on the images in parallel, one interpreter (arena) per thread.
  std::vector<int64_t> indices(static_cast<size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  const torch::Tensor hwc = supernet::ToInput(set, indices, resolution).permute({0, 2, 3, 1}).contiguous();
  const int64_t image_values = hwc[0].numel();
  const float* pixels = hwc.data_ptr<float>();
  std::optional<core::Error> failure;  // the first, collected: nothing may throw out of the region
  auto fail = [&](const core::Error& error) {
#pragma omp critical(int8_predictions_failure)
    if (!failure) failure = error;
  };
#pragma omp parallel
  {
    core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(model);  // this thread's arena
    if (!interpreter.ok()) fail(interpreter.error());
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      if (!interpreter.ok()) continue;
      const std::vector<float> image(pixels + i * image_values, pixels + (i + 1) * image_values);
      const core::Result<std::vector<int8_t>> out = interpreter.value().Invoke(engine::QuantizeInput(model, image));
      if (!out.ok()) {
        fail(out.error());
        continue;
      }
      const std::vector<int8_t>& scores = out.value();
      predicted[static_cast<size_t>(i)] =
          static_cast<int>(std::max_element(scores.begin(), scores.end()) - scores.begin());
    }
  }
  if (failure) return *failure;
  return predicted;
}

core::Result<double> Int8Accuracy(const engine::Model& model, const data::ImageSet& set, int resolution,
                                  int64_t max_images) {
  core::Result<std::vector<int>> predicted = Int8Predictions(model, set, resolution, max_images);
  if (!predicted.ok()) return predicted.error();
  return AccuracyOf(predicted.value(), set);
}

double AccuracyOf(const std::vector<int>& predicted, const data::ImageSet& set) {
  if (predicted.empty()) return 0.0;
  int64_t correct = 0;
  for (size_t i = 0; i < predicted.size(); ++i) correct += predicted[i] == set.labels[i];
  return static_cast<double>(correct) / static_cast<double>(predicted.size());
}

}  // namespace kilonas::pipeline
