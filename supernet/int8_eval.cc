#include "supernet/int8_eval.h"

#include <algorithm>

#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "supernet/extract.h"

namespace kilonas::supernet {

std::vector<float> EngineImage(const ImageSet& set, int64_t i, int resolution) {
  return ToEngineInput(ToInput(ImagesTensor(set, {i}), set.rows, set.cols, resolution));
}

core::Result<engine::Model> QuantizeSubnet(Supernet& net, const core::SubnetConfig& config, const ImageSet& train,
                                           const EvalOptions& bn, int calibration_images,
                                           const engine::ExecutionConfig& execution) {
  if (core::Status s = net->SetActive(config); !s.ok()) return s.error();
  RecalibrateBatchNorm(net, train, bn.bn_batches, bn.bn_batch_size);
  core::Result<engine::FloatModel> float_model = ExtractSubnet(net, config);
  if (!float_model.ok()) return float_model.error();
  std::vector<std::vector<float>> calibration;
  const int64_t n = static_cast<int64_t>(train.size());
  for (int i = 0; i < calibration_images; ++i) calibration.push_back(EngineImage(train, (i * 37) % n, config.resolution));
  return engine::Quantize(float_model.value(), calibration, execution);
}

core::Result<double> Int8Accuracy(const engine::Model& model, const ImageSet& set, int resolution, int64_t max_images) {
  core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(model);
  if (!interpreter.ok()) return interpreter.error();
  const int64_t n = max_images > 0 ? std::min<int64_t>(max_images, static_cast<int64_t>(set.size())) : set.size();
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<int8_t> out = interpreter.value().Invoke(engine::QuantizeInput(model, EngineImage(set, i, resolution)));
    correct += std::max_element(out.begin(), out.end()) - out.begin() == set.labels[i];
  }
  return n > 0 ? static_cast<double>(correct) / static_cast<double>(n) : 0.0;
}

}  // namespace kilonas::supernet
