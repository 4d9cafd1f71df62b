#include "pipeline/int8_result.h"

#include <algorithm>

#include "pipeline/int8_eval.h"
#include "supernet/evaluate.h"

namespace kilonas::pipeline {

core::Result<Int8Result> QuantizeAndTest(const core::FloatModel& float_model, const supernet::Trainer& net,
                                         int resolution, const engine::ExecutionConfig& execution,
                                         const Int8Settings& settings) {
  const supernet::ImageSet& test = net.test_set();
  core::Result<engine::Model> model =
      QuantizeFloatModel(float_model, net.train_set(), resolution, settings.calibration_images, execution);
  if (!model.ok()) return model.error();
  Int8Result result{std::move(model).value(), 0, 0, 0, {}};
  result.test_images = settings.test_images > 0 ? std::min<int64_t>(settings.test_images, test.size()) : test.size();
  supernet::EvalOptions options;
  options.max_images = static_cast<int>(result.test_images);
  result.float_test_accuracy = supernet::FloatModelAccuracy(float_model, test, resolution, options);
  core::Result<std::vector<int>> predicted = Int8Predictions(result.model, test, resolution, result.test_images);
  if (!predicted.ok()) return predicted.error();
  result.int8_predictions = std::move(predicted).value();
  result.int8_test_accuracy = AccuracyOf(result.int8_predictions, test);
  return result;
}

}  // namespace kilonas::pipeline
