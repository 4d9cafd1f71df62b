// nas_tune: fine-tunes a deployed int8 model (.kmodel, or an imported .tflite) on a data set with
// an update scheme (MCUNetV3's sparse on-device training, run on the host with the runtime's C
// kernels), prints the training step's SRAM and the accuracy before and after, and writes the
// trained model as .kmodel and .tflite with the scheme it used.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "apps/arch_resolver.h"
#include "apps/cli.h"
#include "apps/distributed_flags.h"
#include "core/file_io.h"
#include "core/hw_profile.h"
#include "data/dataset.h"
#include "engine/export.h"
#include "engine/model_file.h"
#include "engine/quantizer.h"
#include "ondevice/training_firmware.h"
#include "ondevice/training_memory.h"
#include "ondevice/training_program.h"
#include "pipeline/budget_scheme.h"
#include "pipeline/fine_tune.h"
#include "pipeline/int8_autograd.h"
#include "pipeline/int8_eval.h"
#include "tflite/export.h"

namespace {

using namespace kilonas;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_tune", message); }

struct SchemeChoice {
  std::string path;
  int last_biases = 0, last_layers = 0;
  double learning_rate = 0;  // 0: the scheme's
  int steps = 0, batch = 0;
  bool no_qas = false;
  bool nearest_rounding = false;
  bool reinit_head = false;      // new classes: the classifier re-initialised and trained
  bool float_reference = false;  // also LibTorch's float SGD on the same parameters and samples
};

// The flags' SGD settings over the scheme's.
void ApplySettings(const SchemeChoice& c, ondevice::UpdateScheme& scheme) {
  if (c.learning_rate > 0) scheme.learning_rate = c.learning_rate;
  if (c.steps > 0) scheme.steps = c.steps;
  if (c.batch > 0) scheme.batch_size = c.batch;
  if (c.no_qas) scheme.qas = false;
  if (c.nearest_rounding) scheme.stochastic_rounding = false;
}

// The scheme file's, or a baseline made from the model, with the flags' settings over it.
core::Result<ondevice::UpdateScheme> ChooseScheme(const engine::Model& model, const std::string& model_path,
                                                  const SchemeChoice& c) {
  ondevice::UpdateScheme scheme;
  if (!c.path.empty()) {
    core::Result<ondevice::UpdateScheme> loaded = ondevice::LoadUpdateScheme(c.path);
    if (!loaded.ok()) return loaded.error();
    scheme = std::move(loaded).value();
  } else {
    scheme =
        c.last_layers > 0 ? ondevice::LastLayers(model, c.last_layers) : ondevice::LastBiases(model, c.last_biases);
    scheme.model = model_path;
  }
  ApplySettings(c, scheme);
  if (core::Status s = ondevice::ValidateUpdateScheme(scheme, model, c.path.empty() ? "scheme" : c.path); !s.ok()) {
    return s.error();
  }
  return scheme;
}

// The data set, normalised as the model's input was: a .kmodel says how; a .tflite does not,
// so the set's own training statistics (what kilonas's own exports were trained with).
core::Result<data::Dataset> LoadTuningData(const engine::Model& model, const std::string& spec, bool tflite) {
  const core::Shape in = model.graph.tensor(model.graph.input()).shape;
  const core::Result<data::Normalization> stored =
      tflite ? core::Result<data::Normalization>(data::Normalization{}) : apps::StoredInputNormalization(model, in.c);
  if (!stored.ok()) return stored.error();
  data::DatasetOptions options;
  options.channels = in.c;
  options.image_side = in.h;
  options.max_validation_fraction = 0.2;
  core::Result<data::Dataset> set = data::LoadDataset(spec, options);
  if (!set.ok()) return set.error();
  if (!tflite) {
    set.value().SetNormalization(stored.value());
  } else {
    std::printf(
        "input           a .tflite does not say how its input was made from pixels: normalised with the "
        "training split's statistics\n");
  }
  return set;
}

void PrintMemory(const engine::Model& model, const ondevice::UpdateScheme& scheme) {
  const auto program = ondevice::BuildTrainingProgram(model, scheme, true);
  const auto unordered = ondevice::BuildTrainingProgram(model, scheme, false);
  if (!program.ok() || !unordered.ok()) return;
  const ondevice::TrainingGraph& t = program.value().training;
  const auto shared = ondevice::PlanTrainingStep(model.graph, t, model.execution.mode, true);
  const auto own = ondevice::PlanTrainingMemory(model.graph, t, {true, nullptr, scheme.batch_size});
  const auto inference = engine::PlanModel(model);
  if (!shared.ok() || !own.ok() || !inference.ok()) return;
  std::printf(
      "training step   %.1f kB SRAM as the training firmware runs it (%.1f kB without reordering the updates; "
      "inference %.1f kB); %.1f kB with the forward pass as the model's %s plan runs it; trainable copies %.1f kB, "
      "kept for the backward pass %.1f kB; %d backward steps, %lld parameters\n",
      program.value().layout.arena_bytes / 1024.0, unordered.value().layout.arena_bytes / 1024.0,
      inference.value().arena_bytes / 1024.0, shared.value().peak_bytes / 1024.0,
      std::string(memory_planner::PlanModeName(model.execution.mode)).c_str(),
      own.value().parameter_copy_bytes / 1024.0, own.value().kept_bytes / 1024.0, t.BackwardOps(),
      static_cast<long long>(ondevice::UpdatedParameters(scheme, model)));
}

core::Status WriteOutputs(const engine::Model& trained, const ondevice::UpdateScheme& scheme,
                          const std::string& out_dir) {
  if (core::Status s = engine::SaveModel(trained, out_dir + "/model.kmodel"); !s.ok()) return s;
  core::Result<std::string> tflite = tflite::ExportTflite(trained, "kilonas nas_tune");
  if (!tflite.ok()) return tflite.error();
  if (core::Status s = core::WriteFileAtomic(out_dir + "/model.tflite", tflite.value()); !s.ok()) return s;
  return ondevice::SaveUpdateScheme(scheme, out_dir + "/scheme.json");
}

struct FirmwareChoice {
  bool run = false;
  std::string hw = "hw_profiles/stm32f746.json";
  int samples = 4;
  bool soft_float = false;
};

// Trains the untuned model on the first samples in the profile's firmware in QEMU beside the host
// trainer, and runs one inference of the model's own firmware: prints both instruction counts and
// whether training was bit-exact. 0 when it was.
int CheckFirmware(const engine::Model& model, const ondevice::UpdateScheme& scheme, const data::Dataset& set,
                  const FirmwareChoice& choice, const core::Result<core::HwProfile>& hw,
                  const pipeline::FineTuneOptions& options, const std::string& out_dir) {
  const ondevice::TrainingSamples samples =
      pipeline::TrainingSamplesOf(model, set, choice.samples, choice.samples, options.seed);
  ondevice::TrainingFirmwareOptions fw;
  fw.dir = out_dir + "/train_firmware";
  fw.source_root = KILONAS_SOURCE_DIR;
  fw.fpu = !choice.soft_float && !hw.value().fpu.empty();
  core::Result<ondevice::FirmwareCheck> check = ondevice::CheckTrainingFirmware(model, scheme, samples, hw.value(), fw);
  if (!check.ok()) return Fail(check.error().message);
  const ondevice::TrainingFirmwareRun& run = check.value().firmware;
  uint64_t total = 0;
  for (uint64_t n : run.instructions) total += n;
  const double per_step = static_cast<double>(total) / static_cast<double>(run.instructions.size());
  std::printf(
      "firmware        %s on %s (%s): %zu samples trained %s the host; %.0f instructions per sample, arena "
      "%.1f kB (the planned step, canary %s), flash %.1f kB\n",
      fw.dir.c_str(), hw.value().name.c_str(), fw.fpu ? hw.value().fpu.c_str() : "soft-float", run.losses.size(),
      check.value().BitExact() ? "bit-exact with" : "DIFFERENT from", per_step, run.arena_bytes / 1024.0,
      run.arena_intact ? "intact" : "OVERWRITTEN", run.build.FlashBytes() / 1024.0);
  engine::ExportOptions inference;
  inference.out_dir = out_dir + "/inference_firmware";
  inference.network = "inference";
  inference.source_root = KILONAS_SOURCE_DIR;
  core::Result<engine::ExportResult> exported = engine::ExportModel(model, samples.inputs[0], hw.value(), inference);
  if (!exported.ok()) return Fail(exported.error().message);
  const double inference_instructions = static_cast<double>(exported.value().run->Instructions());
  std::printf(
      "inference       %.0f instructions (the model's own firmware, optimized kernels): a training step is "
      "%.1fx one inference\n",
      inference_instructions, per_step / inference_instructions);
  return check.value().BitExact() && run.arena_intact ? 0 : 1;
}

// A scheme chosen for a training-memory budget (MCUNetV3's contribution analysis and search).
struct BudgetChoice {
  double train_sram_kb = 0;  // 0: no budget
  std::string kind = "searched";
  int analysis_steps = 0;          // 0: --steps
  int64_t analysis_images = 1000;  // validation images per analysis run
  std::string contributions;       // the analysis' cache (default <out-dir>/contributions.json)
};

struct Flags {
  std::string model_path, data_spec = data::kDefaultDataSpec, out_dir;
  SchemeChoice scheme;
  BudgetChoice budget;
  supernet::DistributedFlags distributed;  // the contribution analysis over ranks
  pipeline::FineTuneOptions options;
  FirmwareChoice firmware;
  CLI::Option* scheme_file = nullptr;
};

// --train-sram-kb and what goes with it; it excludes the other ways of naming a scheme.
void AddBudgetFlags(CLI::App& app, BudgetChoice& b, const std::vector<CLI::Option*>& other_schemes) {
  CLI::Option* budget =
      app.add_option("--train-sram-kb", b.train_sram_kb,
                     "instead: the scheme with the most predicted gain whose training step fits this SRAM (kB)")
          ->check(apps::FiniteRange(1, 1 << 20));
  for (CLI::Option* other : other_schemes) budget->excludes(other);
  app.add_option("--budget-scheme", b.kind,
                 "under --train-sram-kb: searched, or MCUNetV3's baselines that fit: last-layers, biases")
      ->check(CLI::IsMember({"searched", "last-layers", "biases"}))
      ->capture_default_str()
      ->needs(budget);
  app.add_option("--analysis-steps", b.analysis_steps,
                 "under --train-sram-kb: SGD updates of each contribution-analysis run (default --steps)")
      ->check(CLI::Range(1, 10000000))
      ->needs(budget);
  app.add_option("--analysis-images", b.analysis_images, "validation images each analysis run is scored on")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30))
      ->needs(budget);
  app.add_option("--contributions", b.contributions,
                 "the contribution analysis' cache file (default <out-dir>/contributions.json; the finalists' "
                 "fine-tunes go beside it, <name>_finalists.json)")
      ->needs(budget);
}

void AddFlags(CLI::App& app, Flags& f) {
  f.options.eval_images = 2000;
  app.add_option("--model", f.model_path, "model file (.kmodel, or an int8 .tflite to import)")->required();
  f.scheme_file = app.add_option("--scheme", f.scheme.path, "update scheme JSON (docs/ondevice.md)");
  CLI::Option* biases =
      app.add_option("--last-biases", f.scheme.last_biases, "instead: the biases of the last K layers (default 8)")
          ->check(CLI::Range(1, 1000))
          ->excludes(f.scheme_file);
  CLI::Option* layers =
      app.add_option("--last-layers", f.scheme.last_layers, "instead: the last K layers' weights and biases")
          ->check(CLI::Range(1, 1000))
          ->excludes(f.scheme_file)
          ->excludes(biases);
  AddBudgetFlags(app, f.budget, {f.scheme_file, biases, layers});
  app.add_option("--data", f.data_spec, "data set (formats as nas_train's --data)")->capture_default_str();
  app.add_option("--lr", f.scheme.learning_rate, "learning rate (default: the scheme's)")
      ->check(apps::FiniteRange(1e-9, 100));
  app.add_option("--steps", f.scheme.steps, "SGD updates (default: the scheme's)")->check(CLI::Range(1, 10000000));
  app.add_option("--batch", f.scheme.batch, "samples per update (default: the scheme's)")->check(CLI::Range(1, 1024));
  app.add_flag("--no-qas", f.scheme.no_qas, "plain int8 SGD, without quantization-aware scaling");
  app.add_flag("--nearest-rounding", f.scheme.nearest_rounding,
               "round each int8 weight update to nearest instead of stochastically (steps below half a unit are lost)");
  app.add_flag("--reinit-head", f.scheme.reinit_head,
               "new classes: re-initialise the classifier (small random weights, zero biases) and train it too");
  app.add_flag("--float-reference", f.scheme.float_reference,
               "also fine-tune the same parameters on the same samples with LibTorch's float SGD (MCUNetV3's fp32 "
               "baseline) and print its accuracy");
  app.add_option("--eval-images", f.options.eval_images, "test images for the accuracy (0: all)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  app.add_option("--seed", f.options.seed, "order of the training images")->capture_default_str();
  app.add_option("--out-dir", f.out_dir, "where the trained model goes (default out/tune/<model file name>)");
  app.add_flag("--firmware", f.firmware.run,
               "also train the untuned model on the first samples in --hw's firmware in QEMU beside the host");
  app.add_option("--hw", f.firmware.hw, "hardware profile of the firmware")->capture_default_str();
  app.add_option("--firmware-samples", f.firmware.samples, "samples the firmware trains on")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  app.add_flag("--soft-float", f.firmware.soft_float,
               "build the training firmware soft-float even where --hw has an FPU");
  apps::AddDistributedFlags(app, f.distributed);
}

std::string ChoiceText(const ondevice::SparseLayers& layers, const ondevice::ScoredChoice& c) {
  std::string weights;
  for (size_t i = 0; i < c.choice.eighths.size(); ++i) {
    if (c.choice.eighths[i] == 0) continue;
    weights +=
        (weights.empty() ? "" : ", ") + layers.layers[i] + " " + ondevice::ChannelRatio{c.choice.eighths[i]}.Text();
  }
  char text[160];
  std::snprintf(text, sizeof text, "step %.1f kB, predicted gain %+.2f points; the biases of the last %d layers",
                c.step_bytes / 1024.0, 100 * c.predicted_gain, c.choice.bias_depth);
  return text + std::string(weights.empty() ? "" : "; weights of " + weights) + ", the classifier";
}

// Prints the choice of the scheme under the budget: the analysis, every candidate measured, the
// baselines and the pick.
void PrintBudgetScheme(const engine::Model& model, const pipeline::BudgetSchemeResult& r, const std::string& cache,
                       int analysis_steps) {
  const ondevice::SparseLayers layers = ondevice::SparseLayersOf(model).value();
  std::printf("contributions   %s: %zu fine-tunes of %d steps, classifier alone %.2f%% (validation)\n", cache.c_str(),
              r.contributions.accuracy.size(), analysis_steps, 100 * r.contributions.accuracy.at("classifier"));
  for (const pipeline::MeasuredChoice& c : r.candidates) {
    std::printf("candidate       %s: validation %.2f%%, predicted gain %+.2f points, step %.1f kB\n",
                c.choice.choice.Key().c_str(), 100 * c.validation_accuracy, 100 * c.choice.predicted_gain,
                c.choice.step_bytes / 1024.0);
  }
  std::printf("last-layers     %s\n", ChoiceText(layers, r.search.last_layers).c_str());
  std::printf("biases          %s\n", ChoiceText(layers, r.search.bias_only).c_str());
  std::printf("searched        %s (%d schemes planned, %zu finalists measured)\n",
              ChoiceText(layers, r.best.choice).c_str(), r.search.measured, r.search.finalists.size());
}

// Under --train-sram-kb: this rank's share of the contribution analysis, then on rank 0 the
// scheme for the budget, or the baseline --budget-scheme names (the other ranks' work ends with
// the analysis: `settings` back).
core::Result<ondevice::UpdateScheme> SchemeForBudget(const engine::Model& model, const ondevice::UpdateScheme& settings,
                                                     const data::Dataset& set, const Flags& f,
                                                     const supernet::DistributedOptions& ranks) {
  pipeline::BudgetSchemeOptions options;
  options.budget_bytes = static_cast<int64_t>(f.budget.train_sram_kb * 1024);
  if (core::Status fits = ondevice::ClassifierAloneFits(model, settings, options.budget_bytes); !fits.ok()) {
    char kb[32];
    std::snprintf(kb, sizeof kb, "%g", f.budget.train_sram_kb);
    return core::Error{"--train-sram-kb " + std::string(kb) + ": " + fits.message()};
  }
  core::Result<std::shared_ptr<supernet::Collective>> collective = supernet::Collective::Connect(ranks);
  if (!collective.ok()) return collective.error();
  apps::LogAsRank(*collective.value());
  options.analysis_steps = f.budget.analysis_steps;
  options.measuring.eval_images = f.budget.analysis_images;
  options.measuring.seed = f.options.seed;
  options.measuring.cache_path =
      f.budget.contributions.empty() ? f.out_dir + "/contributions.json" : f.budget.contributions;
  options.measuring.note =
      f.scheme.reinit_head ? "classifier re-initialised with seed " + std::to_string(f.options.seed) : "";
  options.measuring.collective = collective.value().get();
  core::Result<pipeline::BudgetSchemeResult> r = pipeline::SchemeForBudget(model, settings, set, options);
  if (!r.ok()) return r.error();
  if (r.value().analysed_only) return settings;
  PrintBudgetScheme(model, r.value(), options.measuring.cache_path,
                    f.budget.analysis_steps > 0 ? f.budget.analysis_steps : settings.steps);
  if (f.budget.kind == "searched") return r.value().scheme;
  const ondevice::ScoredChoice& baseline =
      f.budget.kind == "biases" ? r.value().search.bias_only : r.value().search.last_layers;
  return ondevice::SchemeOf(ondevice::SparseLayersOf(model).value(), baseline.choice, settings);
}

// The test images the accuracies are measured on: --eval-images of the test split (0: all).
int64_t TestedImages(const pipeline::FineTuneOptions& options, const data::Dataset& set) {
  const int64_t all = static_cast<int64_t>(set.test.size());
  return options.eval_images > 0 ? std::min<int64_t>(options.eval_images, all) : all;
}

// LibTorch's float SGD (fake-quantized forward, float parameters) on the parameters and the
// samples the int8 fine-tune used, scored on the same test images.
core::Status PrintFloatReference(const engine::Model& model, const ondevice::UpdateScheme& scheme,
                                 const data::Dataset& set, const pipeline::FineTuneOptions& options, int64_t samples) {
  const int count = static_cast<int>(std::min<int64_t>(samples, static_cast<int64_t>(set.train.size())));
  const ondevice::TrainingSamples train = pipeline::TrainingSamplesOf(model, set, count, samples, options.seed);
  const int64_t tested = TestedImages(options, set);
  const int side = model.graph.tensor(model.graph.input()).shape.h;
  std::vector<std::vector<int8_t>> test;
  for (int64_t i = 0; i < tested; ++i) {
    test.push_back(engine::QuantizeInput(model, pipeline::EngineImage(set.test, i, side)));
  }
  core::Result<pipeline::TorchFineTuneResult> run = pipeline::TorchFineTune(model, scheme, train, test);
  if (!run.ok()) return run.error();
  std::printf("float reference %.2f%% (LibTorch float SGD, same parameters, samples and test images)\n",
              100 * pipeline::AccuracyOf(run.value().predictions, set.test));
  return core::Status::Ok();
}

// The scheme the flags name (under --train-sram-kb only its settings), the classifier
// re-initialised where asked (the model changes with it).
core::Result<ondevice::UpdateScheme> InitialScheme(engine::Model& model, const Flags& f) {
  core::Result<ondevice::UpdateScheme> s = ondevice::UpdateScheme{};
  if (f.budget.train_sram_kb > 0) {
    s.value().model = f.model_path;
    ApplySettings(f.scheme, s.value());
  } else {
    s = ChooseScheme(model, f.model_path, f.scheme);
  }
  if (!s.ok() || !f.scheme.reinit_head) return s;
  core::Result<std::string> head = ondevice::ReinitialiseClassifier(model, s.value(), f.options.seed);
  if (!head.ok()) return head.error();
  std::printf("classifier      '%s' re-initialised (new classes) and trained\n", head.value().c_str());
  return s;
}

void PrintResult(const pipeline::FineTuneResult& r, const pipeline::FineTuneOptions& options,
                 const data::Dataset& set) {
  const int64_t tested = TestedImages(options, set);
  std::printf(
      "accuracy        %.2f%% -> %.2f%% (int8, host, %lld test images); loss %.4f -> %.4f (first and last "
      "tenth of %lld samples)\n",
      100 * r.accuracy_before, 100 * r.accuracy_after, static_cast<long long>(tested), r.first_loss, r.last_loss,
      static_cast<long long>(r.samples));
}

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{"Fine-tune an int8 model with a sparse update scheme (on-device training, run on the host)"};
  Flags f;
  AddFlags(app, f);
  KILONAS_PARSE(app, argc, argv);
  std::setvbuf(stdout, nullptr, _IOLBF, 0);  // its lines in order with the log's
  if (f.scheme_file->count() == 0 && f.scheme.last_layers == 0 && f.scheme.last_biases == 0) f.scheme.last_biases = 8;

  core::Result<engine::Model> model = apps::LoadModelFile(f.model_path);
  if (!model.ok()) return Fail(model.error().message);
  // The profile read before training, so that a bad one fails at once.
  const core::Result<core::HwProfile> hw =
      f.firmware.run ? core::LoadHwProfile(f.firmware.hw) : core::Result<core::HwProfile>(core::HwProfile{});
  if (!hw.ok()) return Fail(hw.error().message);
  core::Result<ondevice::UpdateScheme> s = InitialScheme(model.value(), f);
  if (!s.ok()) return Fail(s.error().message);
  if (f.out_dir.empty()) f.out_dir = "out/tune/" + std::filesystem::path(f.model_path).stem().string();
  core::Result<supernet::DistributedOptions> ranks = supernet::ResolveDistributed(f.distributed);
  if (!ranks.ok()) return Fail(ranks.error().message);
  if (ranks.value().world_size > 1 && f.budget.train_sram_kb == 0) {
    return Fail("--world-size above 1 splits the contribution analysis of --train-sram-kb over the ranks");
  }
  const bool writer = ranks.value().rank == 0;  // the other ranks run their share of the analysis only
  std::optional<core::DirLock> lock;
  if (writer) {
    core::Result<core::DirLock> locked = apps::LockDir("nas_tune", f.out_dir);
    if (!locked.ok()) return Fail(locked.error().message);
    lock.emplace(std::move(locked).value());
  }
  core::Result<data::Dataset> set = LoadTuningData(model.value(), f.data_spec, apps::IsTfliteFile(f.model_path));
  if (!set.ok()) return Fail(set.error().message);
  if (f.budget.train_sram_kb > 0) {
    s = SchemeForBudget(model.value(), s.value(), set.value(), f, ranks.value());
    if (!s.ok()) return Fail(s.error().message);
    if (!writer) return 0;
  }
  std::printf("scheme          %zu layers, lr %g, %d steps of batch %d, %s, %s rounding\n", s.value().layers.size(),
              s.value().learning_rate, s.value().steps, s.value().batch_size,
              s.value().qas ? "QAS" : "no QAS (plain int8 SGD)",
              s.value().stochastic_rounding ? "stochastic" : "nearest");
  PrintMemory(model.value(), s.value());
  core::Result<pipeline::FineTuneResult> tuned = pipeline::FineTune(model.value(), s.value(), set.value(), f.options);
  if (!tuned.ok()) return Fail(tuned.error().message);
  PrintResult(tuned.value(), f.options, set.value());
  if (f.scheme.float_reference) {
    core::Status s_float = PrintFloatReference(model.value(), s.value(), set.value(), f.options, tuned.value().samples);
    if (!s_float.ok()) return Fail(s_float.error().message);
  }
  if (core::Status w = WriteOutputs(tuned.value().model, s.value(), f.out_dir); !w.ok()) return Fail(w.error().message);
  std::printf("wrote           %s/model.kmodel, model.tflite, scheme.json\n", f.out_dir.c_str());
  if (!f.firmware.run) return 0;
  return CheckFirmware(model.value(), s.value(), set.value(), f.firmware, hw, f.options, f.out_dir);
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_tune", argc, argv, ToolMain); }
