// A subnet's float network quantized to int8 and both measured on the test split: what nas_train
// --export and nas_search's winner report, computed in one place with the same calibration and
// the same images.
#pragma once

#include "core/float_model.h"
#include "engine/model.h"
#include "supernet/trainer.h"

namespace kilonas::pipeline {

struct Int8Settings {
  int calibration_images = 64;  // training images (every 37th) that set the activation ranges
  int test_images = 0;          // the first this many of the test split (0: all)
};

struct Int8Result {
  engine::Model model;
  double float_test_accuracy = 0, int8_test_accuracy = 0;
  int64_t test_images = 0;            // images both accuracies were measured on
  std::vector<int> int8_predictions;  // the engine's class for each of them
};

// `float_model` (a subnet at `resolution`, as RecalibratedSubnet or FineTuneSubnet made it)
// quantized for `execution`, then the frozen float network and the host interpreter (bit-exact
// with the firmware) on the test split.
core::Result<Int8Result> QuantizeAndTest(const core::FloatModel& float_model, const supernet::Trainer& net,
                                         int resolution, const engine::ExecutionConfig& execution,
                                         const Int8Settings& settings);

}  // namespace kilonas::pipeline
