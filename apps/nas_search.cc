// nas_search: the main job. Trains (or loads) the once-for-all supernet, picks the sub-space
// (TinyNAS stage 1), evolves subnets under the MCU's SRAM / flash / latency budgets with
// supernet accuracy (stage 2), and exports the winner to int8 firmware run in QEMU, with a report.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>

#include "apps/cli.h"
#include "apps/fidelity_table.h"
#include "apps/search_report.h"
#include "core/file_io.h"
#include "core/logging.h"
#include "engine/export.h"
#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "memory_planner/patch_plan.h"
#include "supernet/evaluate.h"
#include "supernet/int8_eval.h"
#include "supernet/extract.h"
#include "search/search_state.h"
#include "search/surrogate.h"
#include "supernet/accuracy_predictor.h"
#include "supernet/trainer.h"

#ifndef KILONAS_SOURCE_DIR
#define KILONAS_SOURCE_DIR "."
#endif

namespace {

using namespace kilonas;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_search", message); }

// The trained supernet: resumed or loaded from its checkpoint, trained when there is none.
// `data` and `space` replace the supernet config's when not empty.
core::Result<std::unique_ptr<supernet::Trainer>> ReadySupernet(const search::SearchConfig& config,
                                                               const std::string& data, const std::string& space) {
  core::Result<supernet::TrainConfig> train = supernet::LoadTrainConfig(config.supernet_config);
  if (!train.ok()) return train.error();
  train.value().checkpoint_dir = config.supernet_checkpoint_dir;
  if (!data.empty()) train.value().data = data;
  if (!space.empty()) train.value().space = space;
  // Held while the supernet may be trained into its directory; afterwards it is only in memory.
  core::Result<core::DirLock> lock = apps::LockDir("nas_search", config.supernet_checkpoint_dir);
  if (!lock.ok()) return lock.error();
  const bool have = std::filesystem::exists(config.supernet_checkpoint_dir + "/checkpoint.pt");
  core::Logger()->info(have ? "supernet: checkpoint in {}" : "supernet: no checkpoint in {}, training {} (quick)",
                       config.supernet_checkpoint_dir, config.supernet_config);
  core::Result<std::unique_ptr<supernet::Trainer>> trainer = supernet::Trainer::Create(train.value(), have);
  if (!trainer.ok()) return trainer.error();
  if (core::Status s = trainer.value()->Run(); !s.ok()) return s.error();
  return trainer;
}

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{
      "Hardware-aware NAS for microcontrollers: supernet -> TinyNAS search -> int8 firmware.\n"
      "Loads the config's supernet checkpoint (supernet_checkpoint_dir; trains it with supernet_config first when\n"
      "there is none), searches under the profile's budgets and writes to --out-dir (default output_dir/<mcu>):\n"
      "search_state.json (resumed unless --restart), report.md, best_subnet.json, pareto.json, export/ (firmware)."};
  std::string hw_path = "hw_profiles/stm32f746.json", config_path = "configs/search_fmnist_quick.json", out_dir;
  std::string data, space_path;
  std::optional<double> sram_kb, flash_kb, latency_ms;
  bool no_firmware = false, restart = false;
  std::string baseline;
  int fidelity = 0;
  app.add_option("--hw", hw_path, "hardware profile")->capture_default_str();
  app.add_option("--config", config_path, "search config")->capture_default_str();
  app.add_option("--sram-kb", sram_kb, "SRAM budget for the arena (default: profile SRAM - reserved)");
  app.add_option("--flash-kb", flash_kb, "flash budget for the model (default: profile flash - reserved)");
  app.add_option("--latency-ms", latency_ms, "latency budget (default: the config's, if any)");
  app.add_option("--out-dir", out_dir, "output directory (default: the config's output_dir/<mcu>)");
  app.add_option("--data", data,
                 "data set instead of the supernet config's: a directory, or format:path (idx, cifar10, cifar100, "
                 "folder); give it a supernet directory of its own (--supernet-dir)");
  std::string supernet_dir;
  app.add_option("--supernet-dir", supernet_dir, "supernet checkpoint directory instead of the config's supernet_checkpoint_dir");
  app.add_option("--space", space_path, "search space instead of the supernet config's: a built-in name or a space JSON file");
  app.add_flag("--no-firmware", no_firmware, "skip building and running the winner's firmware");
  app.add_flag("--restart", restart, "ignore a saved search state and start over");
  bool pareto = false;
  app.add_flag("--pareto", pareto, "multi-objective evolution: parents by Pareto rank over accuracy, latency, SRAM");
  app.add_option("--baseline", baseline,
                 "instead of searching, take the scaled MobileNetV2 (kernel 3, expand 6, full depth) with the most MACs "
                 "that fits, for comparison tables")
      ->check(CLI::IsMember({"mbv2"}));
  app.add_option("--fidelity", fidelity,
                 "instead of searching, measure how the fitness ranks N random subnets of the chosen sub-space "
                 "against their int8 accuracy on the whole test set (Kendall tau per fitness setting)")
      ->check(CLI::Range(2, 100000));
  KILONAS_PARSE(app, argc, argv);
  spdlog::set_pattern("[%H:%M:%S] %v");
  const auto start = std::chrono::steady_clock::now();

  core::Result<core::HwProfile> hw = core::LoadHwProfile(hw_path);
  if (!hw.ok()) return Fail(hw.error().message);
  core::Result<search::SearchConfig> config = search::LoadSearchConfig(config_path);
  if (!config.ok()) return Fail(config.error().message);
  if (out_dir.empty()) out_dir = config.value().output_dir + "/" + hw.value().name;
  core::Result<core::DirLock> out_lock = apps::LockDir("nas_search", out_dir);
  if (!out_lock.ok()) return Fail(out_lock.error().message);
  if (pareto) config.value().evolution.multi_objective = true;
  if (!supernet_dir.empty()) config.value().supernet_checkpoint_dir = supernet_dir;
  const core::Result<search::Budgets> budget_values =
      search::BudgetsFor(hw.value(), sram_kb, flash_kb, latency_ms ? latency_ms : config.value().latency_ms);
  if (!budget_values.ok()) return Fail(budget_values.error().message + " (--sram-kb, --flash-kb, --latency-ms)");
  const search::Budgets budgets = budget_values.value();
  core::Result<latency_models::LatencyLut> lut = latency_models::LoadLutFor(hw.value());
  if (!lut.ok()) return Fail(hw_path + ": " + lut.error().message);
  core::Result<memory_planner::CodeSize> code = memory_planner::LoadCodeSize(hw.value().code_size);
  if (!code.ok()) return Fail(hw_path + ": key 'code_size': " + code.error().message);

  core::Result<std::unique_ptr<supernet::Trainer>> trainer = ReadySupernet(config.value(), data, space_path);
  if (!trainer.ok()) return Fail(trainer.error().message);
  supernet::Trainer& net = *trainer.value();
  const core::OfaSpace& space = net.space();
  const memory_planner::PlanMode mode = memory_planner::ParsePlanMode(config.value().execution_mode).value();
  const latency_models::LatencyPredictor predictor(lut.value());

  // An interrupted search of the same config and budgets continues from its last generation.
  const std::string state_path = out_dir + "/search_state.json";
  char budget_text[128];
  std::snprintf(budget_text, sizeof(budget_text), "%s %lld %lld %.6f", hw.value().name.c_str(),
                static_cast<long long>(budgets.sram_bytes), static_cast<long long>(budgets.flash_bytes), budgets.latency_ms);
  const std::string fingerprint = search::SearchConfigToJson(config.value()) + budget_text +
                                  (data.empty() ? "" : "\ndata " + data) + (space_path.empty() ? "" : "\nspace " + space_path);
  const search::ResourceModel full_model(space, mode, code.value(), predictor);
  std::optional<search::SearchState> saved;
  if (!restart && std::filesystem::exists(state_path)) {
    core::Result<search::SearchState> state = search::LoadSearchState(state_path);
    if (!state.ok()) return Fail(state.error().message);
    if (state.value().fingerprint == fingerprint) {
      const core::Status valid = search::ValidateSearchState(state.value(), full_model, config.value().evolution,
                                                             config.value().stage1_samples);
      if (!valid.ok()) return Fail(state_path + ": " + valid.message() + " (use --restart to start over)");
      saved = state.value();
      core::Logger()->info("resuming the search from generation {} ({})", saved->evolution.generation, state_path);
    } else {
      core::Logger()->info("{} belongs to another config or budget: starting over", state_path);
    }
  }

  // Stage 1: the (width, resolution) sub-space with the most fitting MACs.
  std::mt19937 rng(static_cast<uint32_t>(config.value().seed));
  const std::vector<search::SpaceChoice> spaces =
      saved ? saved->spaces : search::RankSpaces(full_model, budgets, config.value().stage1_samples, rng);
  if (saved) rng = search::ParseRngState(saved->evolution.rng).value();  // validated above
  apps::SearchReport report{hw.value(), budgets, config.value(), spaces};
  std::printf("%s", apps::FormatSpaceTable(report).c_str());
  std::fflush(stdout);  // before the evolution's log lines (stderr)
  const search::SpaceChoice* chosen = search::ChooseSpace(spaces);
  if (!chosen) {
    // Let the resampling name the tightest constraint.
    const auto none = search::DrawFeasible(full_model, budgets, 1, config.value().stage1_samples,
                                           [&] { return core::SampleSubnet(space, rng); });
    return Fail(none.ok() ? "infeasible budget" : none.error().message);
  }
  std::printf("chosen sub-space: width %.2f, resolution %d\n", chosen->width, chosen->resolution);
  core::OfaSpace sub = space;
  sub.width_choices = {chosen->width};
  sub.resolution_choices = {chosen->resolution};
  const search::ResourceModel model(sub, mode, code.value(), predictor);

  if (fidelity > 0) return apps::PrintFidelity(net, sub, config.value(), fidelity);

  // Accuracy on a fixed validation subset (supernet, BN recalibrated per subnet).
  supernet::EvalOptions eval;
  eval.bn_batches = config.value().bn_batches;
  eval.bn_batch_size = config.value().bn_batch_size;
  eval.max_images = config.value().validation_images;
  int evaluations = 0;
  const search::AccuracyFn accuracy = [&](const core::SubnetConfig& c) {
    ++evaluations;
    return supernet::EvaluateSubnet(net.supernet(), c, net.train_set(), net.validation_set(), eval);
  };
  // Optionally an MLP accuracy predictor fitted on subnets of the chosen sub-space is the fitness
  // (its samples come from their own RNG: the evolution's random stream, and so resuming, is
  // unaffected).
  std::mt19937 sample_rng(static_cast<uint32_t>(config.value().seed + 1));
  supernet::AccuracyPredictor mlp(space, 128, config.value().seed);
  search::AccuracySource source;
  source.measure = accuracy;
  if (config.value().accuracy_source == "predictor" && baseline.empty()) {
    source.surrogate = &mlp;
    source.surrogate_samples = config.value().predictor_samples;
    source.remeasure_best = config.value().predictor_remeasure_best;
    source.draw = [&] { return core::SampleSubnet(sub, sample_rng); };
  }
  core::Result<search::EvolutionResult> evolved = core::Error{""};
  if (!baseline.empty()) {
    // The MobileNetV2-shaped subnet scaled in width and resolution: the most MACs that fit.
    std::optional<search::Candidate> scaled;
    for (double width : space.width_choices) {
      for (int resolution : space.resolution_choices) {
        search::Candidate c;
        c.config = core::LargestSubnet(space);
        for (auto& stage : c.config.stages) {
          for (core::BlockChoice& b : stage) b = {3, 6};
        }
        c.config.width_mult = width;
        c.config.resolution = resolution;
        c.resources = full_model.Measure(c.config).value();
        if (!search::WorstViolation(c.resources, budgets) && (!scaled || c.resources.macs > scaled->resources.macs)) scaled = c;
      }
    }
    if (!scaled) return Fail("infeasible budget: no scaled MobileNetV2 of the space fits");
    scaled->accuracy = accuracy(scaled->config);
    search::EvolutionResult result;
    result.population = {*scaled};
    result.evaluated = {*scaled};
    result.log = {{0, scaled->accuracy, scaled->accuracy, *scaled}};
    evolved = result;
  } else {
    core::Result<search::SearchOutcome> outcome = search::EvolveWithAccuracy(
      model, budgets, source, config.value().evolution, rng,
      [&](const search::EvolutionState& state) {
        const search::GenerationLog& log = state.result.log.back();
        const core::Status written = search::SaveSearchState(state_path, {fingerprint, spaces, state});
        if (!written.ok()) core::Logger()->warn("cannot checkpoint the search: {}", written.message());
        core::Logger()->info("generation {}/{}: best {:.2f}% mean {:.2f}% ({} supernet evaluations so far)", log.generation,
                             config.value().evolution.generations, 100 * log.best_accuracy, 100 * log.mean_accuracy,
                             evaluations);
      },
      saved ? &saved->evolution : nullptr);
    if (!outcome.ok()) return Fail(outcome.error().message);
    if (const auto& q = outcome.value().surrogate) {
      std::printf("accuracy predictor: %d subnets, held-out RMSE %.2f points, Kendall tau %.3f on %d held-out subnets\n",
                  q->fitted, 100 * q->rmse, q->kendall_tau, q->held_out);
      report.surrogate = *q;
    }
    evolved = outcome.value().result;
  }
  if (!evolved.ok()) return Fail(evolved.error().message);
  report.evolution = evolved.value();
  report.supernet_evaluations = evaluations;
  const search::Candidate& best = evolved.value().population.front();

  // Export the winner: plan with the search's mode (patch only where it beats inplace, as priced),
  // quantize with the winner's own batch-norm statistics, firmware in QEMU.
  core::Result<core::Graph> winner_graph = core::BuildSubnetGraph(space, best.config);
  if (!winner_graph.ok()) return Fail(winner_graph.error().message);
  const core::Graph& graph = winner_graph.value();
  const memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(graph, mode);
  const engine::ExecutionConfig execution = engine::ExecutionFor(plan);
  report.predicted_latency = predictor.Predict(graph, plan);
  core::Result<engine::Model> model_int8 =
      supernet::QuantizeSubnet(net.supernet(), best.config, net.train_set(), eval, config.value().calibration_images, execution);
  if (!model_int8.ok()) return Fail(model_int8.error().message);
  const supernet::ImageSet& test = net.test_set();
  engine::ExportOptions options{out_dir + "/export", best.config.space, KILONAS_SOURCE_DIR, engine::KernelSet::kOptimized,
                                !no_firmware, false};
  const std::vector<int8_t> test_input =
      engine::QuantizeInput(model_int8.value(), supernet::EngineImage(test, 0, best.config.resolution));
  core::Result<engine::ExportResult> exported = engine::ExportModel(model_int8.value(), test_input, hw.value(), options);
  if (!exported.ok()) return Fail(exported.error().message);
  report.export_result = exported.value();
  report.best_graph = graph;
  report.execution = execution;

  // Final numbers on the test set: float supernet subnet and int8 engine.
  supernet::EvalOptions test_eval = eval;
  test_eval.max_images = config.value().test_images;
  report.float_test_accuracy = supernet::EvaluateSubnet(net.supernet(), best.config, net.train_set(), test, test_eval);
  core::Result<double> int8_accuracy =
      supernet::Int8Accuracy(model_int8.value(), test, best.config.resolution, config.value().test_images);
  if (!int8_accuracy.ok()) return Fail(int8_accuracy.error().message);
  const int64_t n = std::min<int64_t>(config.value().test_images, static_cast<int64_t>(test.size()));
  report.int8_test_accuracy = int8_accuracy.value();
  report.test_images = n;
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (core::Status s = apps::WriteSearchOutputs(out_dir, report); !s.ok()) return Fail(s.message());
  std::printf("%s", apps::FormatSummary(report).c_str());
  if (const std::optional<std::string> broken = apps::BudgetBrokenInFirmware(report)) return Fail(*broken);
  return 0;
}

int main(int argc, char** argv) {
  return kilonas::apps::RunTool("nas_search", argc, argv, ToolMain);
}
