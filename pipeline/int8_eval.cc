#include "pipeline/int8_eval.h"

#include <algorithm>
#include <numeric>

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

core::Result<double> Int8Accuracy(const engine::Model& model, const data::ImageSet& set, int resolution,
                                  int64_t max_images) {
  core::Result<engine::Interpreter> first = engine::Interpreter::Create(model);
  if (!first.ok()) return first.error();
  const int64_t n = max_images > 0 ? std::min<int64_t>(max_images, static_cast<int64_t>(set.size())) : set.size();
  if (n == 0) return 0.0;
  // Every image resized in one pass (the same per-image values as EngineImage), then the
  // interpreter on the images in parallel, one interpreter (arena) per thread.
  std::vector<int64_t> indices(static_cast<size_t>(n));
  std::iota(indices.begin(), indices.end(), 0);
  const torch::Tensor hwc = supernet::ToInput(set, indices, resolution).permute({0, 2, 3, 1}).contiguous();
  const int64_t image_values = hwc[0].numel();
  const float* pixels = hwc.data_ptr<float>();
  int64_t correct = 0;
#pragma omp parallel reduction(+ : correct)
  {
    engine::Interpreter interpreter = first.value();
#pragma omp for schedule(static)
    for (int64_t i = 0; i < n; ++i) {
      const std::vector<float> image(pixels + i * image_values, pixels + (i + 1) * image_values);
      const std::vector<int8_t> out = interpreter.Invoke(engine::QuantizeInput(model, image));
      correct += std::max_element(out.begin(), out.end()) - out.begin() == set.labels[static_cast<size_t>(i)];
    }
  }
  return static_cast<double>(correct) / static_cast<double>(n);
}

}  // namespace kilonas::pipeline
