// Fine-tuning a deployed int8 model on a data set with an update scheme (MCUNetV3's on-device
// training, run on the host by ondevice::Trainer with the runtime's kernels): its training images
// in a fixed shuffled order, one SGD update per batch, the int8 test accuracy before and after.
// What nas_tune runs.
#pragma once

#include <cstdint>

#include "data/dataset.h"
#include "engine/model.h"
#include "ondevice/training_codegen.h"
#include "ondevice/update_scheme.h"

namespace kilonas::pipeline {

struct FineTuneOptions {
  int64_t eval_images = 0;     // test images the accuracy is measured on (0: all)
  uint32_t seed = 1;           // the order of the training images
  int progress_lines = 10;     // loss lines logged over the run (0: none, nor the accuracy lines)
  bool on_validation = false;  // the accuracies on the validation split instead of the test split
  bool measure_before = true;  // also the accuracy of the model as given
};

struct FineTuneResult {
  engine::Model model;                             // the trained model (its int8 weights and biases updated)
  double accuracy_before = 0, accuracy_after = 0;  // on the split FineTuneOptions names
  double first_loss = 0, last_loss = 0;            // mean loss of the first and the last tenth of the samples
  int64_t samples = 0;
};

// The set's images must be normalised as the model's input expects (the caller sets it) and be
// of its channels; they are resized to its (square) input. The set may have fewer classes than
// the model's outputs, not more.
// The first `count` training images in FineTune's order (options.seed), as the model's int8
// inputs with their labels: what the training firmware trains on (`steps` of them).
ondevice::TrainingSamples TrainingSamplesOf(const engine::Model& model, const data::Dataset& set, int count,
                                            int64_t steps, uint32_t seed);

core::Result<FineTuneResult> FineTune(const engine::Model& model, const ondevice::UpdateScheme& scheme,
                                      const data::Dataset& set, const FineTuneOptions& options = {});

}  // namespace kilonas::pipeline
