#include "pipeline/fine_tune.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <string>

#include "core/logging.h"
#include "engine/quantizer.h"
#include "ondevice/trainer.h"
#include "pipeline/int8_eval.h"

namespace kilonas::pipeline {
namespace {

core::Status CheckSetFitsModel(const engine::Model& model, const data::Dataset& set) {
  const core::Shape in = model.graph.tensor(model.graph.input()).shape;
  const int64_t outputs = model.graph.tensor(model.graph.output()).shape.Elements();
  if (in.h != in.w) {
    return core::Error{"the model's input is " + in.ToString() +
                       ": fine-tuning on a data set takes models of square image inputs"};
  }
  if (set.channels() != in.c) {
    return core::Error{"the model's input is " + in.ToString() + "; " + set.source + " has " +
                       std::to_string(set.channels()) + "-channel images"};
  }
  if (set.num_classes() > outputs) {
    return core::Error{set.source + " has " + std::to_string(set.num_classes()) + " classes; the model has " +
                       std::to_string(outputs) + " outputs"};
  }
  if (set.train.size() == 0) return core::Error{set.source + " has no training images"};
  return core::Status::Ok();
}

// Mean of values[from, to).
double MeanOf(const std::vector<float>& values, size_t from, size_t to) {
  if (to <= from) return 0;
  return std::accumulate(values.begin() + from, values.begin() + to, 0.0) / static_cast<double>(to - from);
}

// The training images in a fixed shuffled order.
std::vector<int64_t> TrainingOrder(const data::Dataset& set, uint32_t seed) {
  std::vector<int64_t> order(set.train.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

std::vector<int8_t> TrainingInput(const engine::Model& model, const data::Dataset& set, int64_t i) {
  return engine::QuantizeInput(model, EngineImage(set.train, i, model.graph.tensor(model.graph.input()).shape.h));
}

}  // namespace

ondevice::TrainingSamples TrainingSamplesOf(const engine::Model& model, const data::Dataset& set, int count,
                                            int64_t steps, uint32_t seed) {
  const std::vector<int64_t> order = TrainingOrder(set, seed);
  ondevice::TrainingSamples samples;
  for (int k = 0; k < count && k < static_cast<int>(order.size()); ++k) {
    samples.inputs.push_back(TrainingInput(model, set, order[static_cast<size_t>(k)]));
    samples.labels.push_back(set.train.labels[static_cast<size_t>(order[static_cast<size_t>(k)])]);
  }
  samples.steps = steps;
  return samples;
}

core::Result<FineTuneResult> FineTune(const engine::Model& model, const ondevice::UpdateScheme& scheme,
                                      const data::Dataset& set, const FineTuneOptions& options) {
  if (core::Status s = CheckSetFitsModel(model, set); !s.ok()) return s.error();
  core::Result<ondevice::Trainer> trainer = ondevice::Trainer::Create(model, scheme);
  if (!trainer.ok()) return trainer.error();
  const int side = model.graph.tensor(model.graph.input()).shape.h;
  const data::ImageSet& eval = options.on_validation ? set.validation : set.test;
  if (eval.size() == 0) {
    return core::Error{set.source + " has no " + (options.on_validation ? "validation" : "test") + " images"};
  }
  FineTuneResult result;
  if (options.measure_before) {
    core::Result<double> before = Int8Accuracy(model, eval, side, options.eval_images);
    if (!before.ok()) return before.error();
    result.accuracy_before = before.value();
    if (options.progress_lines > 0) {
      core::Logger()->info("int8 {} accuracy before: {:.2f}%", options.on_validation ? "validation" : "test",
                           100 * result.accuracy_before);
    }
  }

  const std::vector<int64_t> order = TrainingOrder(set, options.seed);
  result.samples = static_cast<int64_t>(scheme.steps) * scheme.batch_size;
  const int64_t every = std::max<int64_t>(1, result.samples / std::max(1, options.progress_lines));
  std::vector<float> losses;
  for (int64_t k = 0; k < result.samples; ++k) {
    const int64_t i = order[static_cast<size_t>(k) % order.size()];
    core::Result<ondevice::StepResult> step =
        trainer.value().Step(TrainingInput(model, set, i), set.train.labels[static_cast<size_t>(i)]);
    if (!step.ok()) return step.error();
    losses.push_back(step.value().loss);
    if (options.progress_lines > 0 && ((k + 1) % every == 0 || k + 1 == result.samples)) {
      core::Logger()->info("sample {}/{}: mean loss {:.4f} over the last {}", k + 1, result.samples,
                           MeanOf(losses, losses.size() - std::min<size_t>(losses.size(), every), losses.size()),
                           std::min<int64_t>(every, k + 1));
    }
  }
  const size_t tenth = std::max<size_t>(1, losses.size() / 10);
  result.first_loss = MeanOf(losses, 0, tenth);
  result.last_loss = MeanOf(losses, losses.size() - tenth, losses.size());
  result.model = trainer.value().model();
  core::Result<double> after = Int8Accuracy(result.model, eval, side, options.eval_images);
  if (!after.ok()) return after.error();
  result.accuracy_after = after.value();
  return result;
}

}  // namespace kilonas::pipeline
