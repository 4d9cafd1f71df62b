// The subnet as the engine runs it, and its accuracy there: batch norm recalibrated for the
// subnet, weights extracted, quantized to int8 with calibration images from the training split,
// then top-1 accuracy of the host interpreter (bit-exact with the firmware) on an image set.
// One place for what nas_train, nas_search and the fidelity measurement all do.
#pragma once

#include "core/float_model.h"
#include "engine/model.h"
#include "supernet/evaluate.h"

namespace kilonas::pipeline {

// Image i of a set as the engine's float HWC input at `resolution`.
std::vector<float> EngineImage(const data::ImageSet& set, int64_t i, int resolution);

// Quantizes a float model whose input is `resolution` square with `calibration_images` training
// images (every 37th, fixed), planned with `execution`.
core::Result<engine::Model> QuantizeFloatModel(const core::FloatModel& model, const data::ImageSet& train,
                                               int resolution, int calibration_images,
                                               const engine::ExecutionConfig& execution);

// Recalibrates, extracts and quantizes `config` (QuantizeFloatModel).
core::Result<engine::Model> QuantizeSubnet(supernet::Supernet& net, const core::SubnetConfig& config,
                                           const data::ImageSet& train, const supernet::EvalOptions& bn,
                                           int calibration_images, const engine::ExecutionConfig& execution);

// The int8 model's top-1 class for each of the first `max_images` of `set` (0: all), host
// interpreter, images in parallel.
core::Result<std::vector<int>> Int8Predictions(const engine::Model& model, const data::ImageSet& set, int resolution,
                                               int64_t max_images);
// The share of `predicted` (classes of the set's first images) that equal the set's labels.
double AccuracyOf(const std::vector<int>& predicted, const data::ImageSet& set);
// Int8Predictions' top-1 accuracy against the set's labels.
core::Result<double> Int8Accuracy(const engine::Model& model, const data::ImageSet& set, int resolution,
                                  int64_t max_images);

}  // namespace kilonas::pipeline
