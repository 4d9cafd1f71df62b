#include "pipeline/joint_search.h"

#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/logging.h"
#include "engine/model_file.h"
#include "ondevice/training_firmware.h"
#include "pipeline/budget_scheme.h"
#include "pipeline/fine_tune.h"
#include "pipeline/int8_eval.h"

namespace kilonas::pipeline {
namespace {

// The evolution's best distinct subnets, at most `count`.
std::vector<search::Candidate> Finalists(const std::vector<search::Candidate>& population, int count) {
  std::vector<search::Candidate> finalists;
  for (const search::Candidate& c : population) {
    bool seen = false;
    for (const search::Candidate& f : finalists) seen = seen || f.config == c.config;
    if (!seen && static_cast<int>(finalists.size()) < count) finalists.push_back(c);
  }
  return finalists;
}

// The transfer set at the subnets' resolution, normalised as the supernet's data (what the
// deployed model's input expects).
core::Result<data::Dataset> TransferSet(const supernet::Trainer& net, const TrainingBudget& b, int resolution) {
  data::DatasetOptions options;
  options.channels = net.data().channels();
  options.image_side = resolution;
  options.max_validation_fraction = 0.2;
  core::Result<data::Dataset> set = data::LoadDataset(b.data, options);
  if (!set.ok()) return set.error();
  set.value().SetNormalization(net.data().normalization());
  return set;
}

// A finalist as deployed for the transfer task: quantized with the supernet's weights, its
// classifier re-initialised where the task has new classes.
core::Result<engine::Model> TransferModel(supernet::Trainer& net, const search::Candidate& c, const TrainingBudget& b,
                                          const supernet::EvalOptions& bn, int calibration_images) {
  core::Result<engine::Model> model =
      QuantizeSubnet(net.supernet(), c.config, net.train_set(), bn, calibration_images, {});
  if (!model.ok() || !b.reinit_head) return model;
  ondevice::UpdateScheme unused;
  core::Result<std::string> head = ondevice::ReinitialiseClassifier(model.value(), unused, b.seed);
  if (!head.ok()) return head.error();
  return model;
}

// One finalist's scheme chosen for the budget (validation accuracy of its fine-tune).
core::Result<TrainingFinalist> Price(const engine::Model& model, const search::Candidate& c, const data::Dataset& set,
                                     const TrainingBudget& b, const std::string& cache) {
  TrainingFinalist f;
  f.config = c.config;
  f.inference_accuracy = c.accuracy;
  ondevice::UpdateScheme settings;
  settings.learning_rate = b.learning_rate;
  settings.steps = b.steps;
  BudgetSchemeOptions options;
  options.budget_bytes = static_cast<int64_t>(b.sram_kb * 1024);
  if (core::Status fits = ondevice::ClassifierAloneFits(model, settings, options.budget_bytes); !fits.ok()) {
    f.refused = fits.message();
    return f;
  }
  options.analysis_steps = b.analysis_steps;
  options.measuring.eval_images = b.eval_images;
  options.measuring.seed = b.seed;
  options.measuring.cache_path = cache;
  options.measuring.note = b.reinit_head ? "classifier re-initialised with seed " + std::to_string(b.seed) : "";
  core::Result<BudgetSchemeResult> r = SchemeForBudget(model, settings, set, options);
  if (!r.ok()) return r.error();
  f.scheme = r.value().scheme;
  f.step_bytes = r.value().best.choice.step_bytes;
  f.transfer_validation = r.value().best.validation_accuracy;
  return f;
}

// The test accuracy of a finalist's model fine-tuned with its scheme.
core::Result<double> TransferTest(const engine::Model& model, const TrainingFinalist& f, const data::Dataset& set,
                                  const TrainingBudget& b) {
  FineTuneOptions options;
  options.seed = b.seed;
  options.progress_lines = 0;
  options.measure_before = false;
  core::Result<FineTuneResult> tuned = FineTune(model, f.scheme, set, options);
  if (!tuned.ok()) return tuned.error();
  return tuned.value().accuracy_after;
}

}  // namespace

core::Result<JointChoice> ChooseForTraining(supernet::Trainer& net, const std::vector<search::Candidate>& population,
                                            const TrainingBudget& budget, const supernet::EvalOptions& bn,
                                            int calibration_images, const std::string& cache_dir) {
  const std::vector<search::Candidate> finalists = Finalists(population, budget.finalists);
  if (finalists.empty()) return core::Error{"the search has no finalists to price for training"};
  core::Result<data::Dataset> set = TransferSet(net, budget, finalists[0].config.resolution);
  if (!set.ok()) return set.error();
  JointChoice choice;
  std::vector<engine::Model> models;  // each finalist's, as its fine-tunes start from it
  for (size_t i = 0; i < finalists.size(); ++i) {
    std::printf(
        "training budget: finalist %zu/%zu (validation accuracy %.2f%%): contribution analysis and scheme "
        "search on %s\n",
        i + 1, finalists.size(), 100 * finalists[i].accuracy, budget.data.c_str());
    std::fflush(stdout);
    core::Result<engine::Model> model = TransferModel(net, finalists[i], budget, bn, calibration_images);
    if (!model.ok()) return model.error();
    models.push_back(model.value());
    const std::string cache = cache_dir + "/finalist" + std::to_string(i) + "_contributions.json";
    core::Result<TrainingFinalist> f = Price(models.back(), finalists[i], set.value(), budget, cache);
    if (!f.ok()) return f.error();
    choice.finalists.push_back(f.value());
    const bool trains = f.value().refused.empty();
    if (trains && (choice.winner < 0 || f.value().transfer_validation >
                                            choice.finalists[static_cast<size_t>(choice.winner)].transfer_validation)) {
      choice.winner = static_cast<int>(i);
    }
  }
  if (choice.winner < 0) {
    return core::Error{
        "--train-sram-kb: no finalist can train under the budget (first: " + choice.finalists[0].refused + ")"};
  }
  for (size_t i : {size_t{0}, static_cast<size_t>(choice.winner)}) {
    TrainingFinalist& f = choice.finalists[i];
    if (!f.refused.empty() || f.transfer_test >= 0) continue;
    core::Result<double> test = TransferTest(models[i], f, set.value(), budget);
    if (!test.ok()) return test.error();
    f.transfer_test = test.value();
  }
  return choice;
}

core::Result<std::string> WriteWinnerScheme(const supernet::Trainer& net, const JointChoice& choice,
                                            const TrainingBudget& budget, const std::string& model_path,
                                            const core::HwProfile& hw, bool firmware, const std::string& dir,
                                            const std::string& source_root) {
  core::Result<engine::Model> model = engine::LoadModel(model_path);
  if (!model.ok()) return model.error();
  ondevice::UpdateScheme scheme = choice.finalists[static_cast<size_t>(choice.winner)].scheme;
  scheme.model = model_path;
  if (budget.reinit_head && !ondevice::ReinitialiseClassifier(model.value(), scheme, budget.seed).ok()) {
    return core::Error{model_path + ": no classifier to re-initialise"};
  }
  if (core::Status s = ondevice::ValidateUpdateScheme(scheme, model.value(), model_path); !s.ok()) return s.error();
  std::filesystem::create_directories(dir);
  if (core::Status s = ondevice::SaveUpdateScheme(scheme, dir + "/scheme.json"); !s.ok()) return s.error();
  std::string lines = "training scheme: " + dir + "/scheme.json (" + std::to_string(scheme.layers.size()) +
                      " layers) for " + model_path + "\n";
  if (!firmware) return lines;
  core::Result<data::Dataset> set =
      TransferSet(net, budget, model.value().graph.tensor(model.value().graph.input()).shape.h);
  if (!set.ok()) return set.error();
  const ondevice::TrainingSamples samples = TrainingSamplesOf(model.value(), set.value(), 4, 4, budget.seed);
  ondevice::TrainingFirmwareOptions options{dir + "/train_firmware", source_root, !hw.fpu.empty()};
  core::Result<ondevice::FirmwareCheck> check =
      ondevice::CheckTrainingFirmware(model.value(), scheme, samples, hw, options);
  if (!check.ok()) return check.error();
  if (!check.value().BitExact()) return core::Error{"the winner's training firmware did not train as the host"};
  const std::vector<uint64_t>& n = check.value().firmware.instructions;
  uint64_t total = 0;
  for (uint64_t x : n) total += x;
  char text[256];
  std::snprintf(text, sizeof text,
                "training firmware: %zu transfer samples trained bit-exact with the host on %s, %.0f instructions per "
                "sample, arena %.1f kB\n",
                n.size(), hw.name.c_str(), static_cast<double>(total) / static_cast<double>(n.size()),
                static_cast<double>(check.value().firmware.arena_bytes) / 1024.0);
  return lines + text;
}

std::string JointChoiceTable(const JointChoice& choice, const TrainingBudget& budget) {
  std::ostringstream out;
  char line[512];
  out << "| finalist | validation accuracy (search) | training step kB | scheme layers | transfer validation | "
         "transfer test |\n|---|---|---|---|---|---|\n";
  for (size_t i = 0; i < choice.finalists.size(); ++i) {
    const TrainingFinalist& f = choice.finalists[i];
    const std::string role = i == 0 ? " (inference winner)" : "";
    const std::string chosen = static_cast<int>(i) == choice.winner ? " **joint winner**" : "";
    if (!f.refused.empty()) {
      std::snprintf(line, sizeof line, "| %zu%s | %.2f%% | - | - | %s | - |\n", i + 1, role.c_str(),
                    100 * f.inference_accuracy, f.refused.c_str());
    } else {
      char test[16] = "-";
      if (f.transfer_test >= 0) std::snprintf(test, sizeof test, "%.2f%%", 100 * f.transfer_test);
      std::snprintf(line, sizeof line, "| %zu%s%s | %.2f%% | %.1f | %zu | %.2f%% | %s |\n", i + 1, role.c_str(),
                    chosen.c_str(), 100 * f.inference_accuracy, static_cast<double>(f.step_bytes) / 1024.0,
                    f.scheme.layers.size(), 100 * f.transfer_validation, test);
    }
    out << line;
  }
  std::snprintf(line, sizeof line, "\nTraining budget %g kB on %s: %d fine-tune steps per scheme.\n", budget.sram_kb,
                budget.data.c_str(), budget.steps);
  out << line;
  return out.str();
}

}  // namespace kilonas::pipeline
