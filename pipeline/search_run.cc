#include "pipeline/search_run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <random>

#include "core/file_io.h"
#include "core/logging.h"
#include "core/plain_cnn.h"
#include "engine/export.h"
#include "engine/quantizer.h"
#include "memory_planner/patch_plan.h"
#include "pipeline/accuracy_predictor.h"
#include "pipeline/fidelity_table.h"
#include "pipeline/int8_eval.h"
#include "pipeline/int8_result.h"
#include "search/search_state.h"
#include "search/shrink.h"
#include "search/surrogate.h"
#include "supernet/evaluate.h"
#include "supernet/graph_module.h"
#include "supernet/graph_training.h"
#include "tflite/armnn_check.h"
#include "tflite/export.h"

namespace kilonas::pipeline {

std::string SearchFingerprint(const SearchRequest& r) {
  std::string budgets = r.hw.name;
  for (const search::Objective& o : search::Objectives()) {
    char value[48];
    if (o.integral) {
      std::snprintf(value, sizeof(value), " %lld", static_cast<long long>(o.budget(r.budgets)));
    } else {
      std::snprintf(value, sizeof(value), " %.6f", o.budget(r.budgets));
    }
    budgets += value;
  }
  return search::SearchConfigToJson(r.config) + budgets + r.fingerprint_extra;
}

namespace {

// The saved state of an interrupted search of the same request, validated; nullopt to start over.
core::Result<std::optional<search::SearchState>> LocalSavedState(const SearchRequest& r, const std::string& path,
                                                                 const search::ResourceModel& full_model) {
  if (r.restart || !std::filesystem::exists(path)) return std::optional<search::SearchState>();
  core::Result<search::SearchState> state = search::LoadSearchState(path);
  if (!state.ok()) return state.error();
  if (state.value().fingerprint != SearchFingerprint(r)) {
    core::Logger()->info("{} belongs to another config or budget: starting over", path);
    return std::optional<search::SearchState>();
  }
  const core::Status valid =
      search::ValidateSearchState(state.value(), full_model, r.config.evolution, r.config.stage1_samples);
  if (!valid.ok()) return core::Error{path + ": " + valid.message() + " (use --restart to start over)"};
  core::Logger()->info("resuming the search from generation {} ({})", state.value().evolution.generation, path);
  return std::optional<search::SearchState>(state.value());
}

// Rank 0's saved state on every rank (its text, or its error, through the rendezvous store).
core::Result<std::optional<search::SearchState>> SavedState(const SearchRequest& r, const std::string& path,
                                                            const search::ResourceModel& full_model) {
  supernet::Collective* ranks = r.collective.get();
  if (ranks == nullptr || !ranks->distributed()) return LocalSavedState(r, path, full_model);
  std::string text;
  if (ranks->rank() == 0) {
    core::Result<std::optional<search::SearchState>> local = LocalSavedState(r, path, full_model);
    text = !local.ok()     ? "error:" + local.error().message
           : local.value() ? "state:" + search::SearchStateToJson(*local.value())
                           : "none:";
  }
  text = ranks->BroadcastText(text);
  if (text.rfind("error:", 0) == 0) return core::Error{text.substr(6)};
  if (text.rfind("none:", 0) == 0) return std::optional<search::SearchState>();
  core::Result<search::SearchState> state = search::ParseSearchState(text.substr(6), path + " (from rank 0)");
  if (!state.ok()) return state.error();
  return std::optional<search::SearchState>(state.value());
}

// Subnet i is measured by rank i % world size, and the accuracies are gathered: every rank
// continues with all of them, as one process would have measured them.
search::BatchAccuracyFn SplitOverRanks(supernet::Collective& ranks, const search::AccuracyFn& measure,
                                       int& evaluations) {
  return [&ranks, measure, &evaluations](const std::vector<core::SubnetConfig>& configs) {
    const auto world = static_cast<size_t>(ranks.world_size()), rank = static_cast<size_t>(ranks.rank());
    const size_t per_rank = (configs.size() + world - 1) / world;
    std::vector<double> mine(per_rank, 0.0);
    for (size_t k = 0; k < per_rank && k * world + rank < configs.size(); ++k)
      mine[k] = measure(configs[k * world + rank]);
    const std::vector<double> all = ranks.AllGather(mine);  // rank-major
    std::vector<double> accuracies(configs.size());
    for (size_t i = 0; i < configs.size(); ++i) accuracies[i] = all[(i % world) * per_rank + i / world];
    evaluations += static_cast<int>(configs.size() - (configs.size() + world - 1 - rank) / world);  // the others'
    return accuracies;
  };
}

// A baseline as the report takes a search's result: one candidate, evaluated, one generation.
search::EvolutionResult OneCandidate(const search::Candidate& c) {
  search::EvolutionResult result;
  result.population = {c};
  result.evaluated = {c};
  result.log = {{0, c.accuracy, c.accuracy, c}};
  return result;
}

// The choice of `choices` nearest to `target` (ties: the smaller).
int Nearest(const std::vector<int>& choices, int target) {
  return *std::min_element(choices.begin(), choices.end(), [&](int a, int b) {
    return std::abs(a - target) < std::abs(b - target) || (std::abs(a - target) == std::abs(b - target) && a < b);
  });
}

// The MobileNetV2-shaped subnet (kernel 3, expand 6, full depth; the space's nearest choices
// where it lacks them) scaled in width and resolution: the one with the most MACs that fits, as
// a one-candidate "evolution".
core::Result<search::EvolutionResult> ScaledMobileNetV2(const core::OfaSpace& space, const search::ResourceModel& model,
                                                        const search::Budgets& budgets,
                                                        const search::AccuracyFn& accuracy) {
  const core::BlockChoice block{Nearest(space.kernel_choices, 3), Nearest(space.expand_choices, 6)};
  std::optional<search::Candidate> scaled;
  for (double width : space.width_choices) {
    for (int resolution : space.resolution_choices) {
      search::Candidate c;
      c.config = core::LargestSubnet(space);
      for (auto& stage : c.config.stages) std::fill(stage.begin(), stage.end(), block);
      c.config.width_mult = width;
      c.config.resolution = resolution;
      core::Result<search::Resources> resources = model.Measure(c.config);
      if (!resources.ok()) return resources.error();
      c.resources = resources.value();
      if (!search::WorstViolation(c.resources, budgets) && (!scaled || c.resources.macs > scaled->resources.macs))
        scaled = c;
    }
  }
  if (!scaled) return core::Error{"infeasible budget: no scaled MobileNetV2 of the space fits"};
  scaled->accuracy = accuracy(scaled->config);
  return OneCandidate(*scaled);
}

// The export's .tflite in Arm NN against the engine on the first test images (tflite/armnn_check.h).
std::string ArmnnCheckOnTestImages(const engine::Model& model, const data::ImageSet& test, int resolution) {
  constexpr int64_t kImages = 20;  // Arm NN's reference backend is slow: 20 keep it to seconds
  std::vector<std::vector<int8_t>> inputs;
  for (int64_t i = 0; i < std::min<int64_t>(kImages, static_cast<int64_t>(test.size())); ++i) {
    inputs.push_back(engine::QuantizeInput(model, EngineImage(test, i, resolution)));
  }
  const std::string verdict = tflite::ArmnnVerdict(model, inputs);
  core::Logger()->info("{} in Arm NN, first {} test images: {}", tflite::kTfliteFileName, inputs.size(), verdict);
  return verdict;
}

// A float network of `graph` quantized for its deployed plan (with the weight layouts the
// search priced it with), exported (firmware in QEMU on a test image of the data set) and
// measured on the test split, into `report`.
core::Status ExportNetwork(const SearchRequest& r, const supernet::Trainer& net, const search::ResourceModel& model_of,
                           const latency_models::LatencyPredictor& predictor, memory_planner::PlanMode mode,
                           const core::Graph& graph, core::FloatModel float_model, const std::string& name,
                           report::SearchReport& report) {
  const int resolution = graph.tensor(graph.input()).shape.h;
  const core::Graph deployed = model_of.Deployed(graph).graph;
  if (deployed.ops().size() != float_model.graph.ops().size()) {
    return core::Status::Fail("export: the float model's graph does not match the winner's");
  }
  for (int i = 0; i < static_cast<int>(deployed.ops().size()); ++i) {
    float_model.graph.mutable_op(i).weights = deployed.op(i).weights;
  }
  const memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(deployed, mode);
  report.execution = engine::ExecutionFor(plan);
  report.predicted_latency = predictor.Predict(deployed, plan);
  core::Result<Int8Result> int8 = QuantizeAndTest(float_model, net, resolution, report.execution,
                                                  {r.config.calibration_images, r.config.test_images});
  if (!int8.ok()) return core::Status::Fail(int8.error().message);
  const engine::Model& model = int8.value().model;
  const std::vector<int8_t> test_input = engine::QuantizeInput(model, EngineImage(net.test_set(), 0, resolution));
  engine::ExportOptions options{r.out_dir + "/export",         name,       r.source_root,
                                engine::KernelSet::kOptimized, r.firmware, false};
  const core::Status tflite = tflite::AddTfliteFile(model, name, options);
  if (!tflite.ok()) core::Logger()->warn("the export has no {}: {}", tflite::kTfliteFileName, tflite.message());
  core::Result<engine::ExportResult> exported = engine::ExportModel(model, test_input, r.hw, options);
  if (!exported.ok()) return core::Status::Fail(exported.error().message);
  if (tflite.ok()) report.armnn_check = ArmnnCheckOnTestImages(model, net.test_set(), resolution);
  report.export_result = exported.value();
  report.best_graph = deployed;
  report.float_test_accuracy = int8.value().float_test_accuracy;
  report.int8_test_accuracy = int8.value().int8_test_accuracy;
  report.test_images = int8.value().test_images;
  const std::vector<int>& predicted = int8.value().int8_predictions;
  const std::vector<uint8_t>& labels = net.test_set().labels;
  core::Result<report::ConfusionMatrix> confusion = report::ConfusionMatrix::Count(
      std::vector<int>(labels.begin(), labels.begin() + static_cast<int64_t>(predicted.size())), predicted,
      net.data().class_names);
  if (!confusion.ok()) return core::Status::Fail("test split: " + confusion.error().message);
  report.int8_confusion = std::move(confusion).value();
  return core::Status::Ok();
}

// The winning subnet with the supernet's weights (batch norm recalibrated) or fine-tuned.
core::Status ExportWinner(const SearchRequest& r, supernet::Trainer& net, const search::ResourceModel& model,
                          const latency_models::LatencyPredictor& predictor, memory_planner::PlanMode mode,
                          const supernet::EvalOptions& bn, report::SearchReport& report) {
  const search::Candidate& best = report.evolution.population.front();
  if (r.finetune_epochs > 0) {
    std::printf("fine-tuning the winner for %d epochs from lr %g...\n", r.finetune_epochs, r.finetune_lr);
    std::fflush(stdout);
  }
  core::Result<core::Graph> graph = core::BuildSubnetGraph(net.space(), best.config);
  if (!graph.ok()) return core::Status::Fail(graph.error().message);
  core::Result<core::FloatModel> float_model =
      r.finetune_epochs > 0 ? supernet::FineTuneSubnet(net.supernet(), best.config, net.train_set(), bn, net.config(),
                                                       r.finetune_epochs, r.finetune_lr)
                            : supernet::RecalibratedSubnet(net.supernet(), best.config, net.train_set(), bn);
  if (!float_model.ok()) return core::Status::Fail(float_model.error().message);
  report.finetune_epochs = r.finetune_epochs;
  return ExportNetwork(r, net, model, predictor, mode, graph.value(), float_model.value(), best.config.space, report);
}

// A resumed search crowns a winner whose accuracy the state file recorded: measured again before
// it is reported, so that a state edited by hand (its manifest rewritten to match) or written with
// another supernet cannot put its own figure in the report. One point of slack: batch norm
// recalibration in other thread counts may flip a borderline image or two.
core::Status CheckResumedWinner(const std::string& state_path, const search::EvolutionResult& evolution,
                                const std::function<double(const core::SubnetConfig&)>& measure) {
  if (evolution.population.empty()) return core::Status::Ok();
  const search::Candidate& best = evolution.population.front();
  const double measured = measure(best.config);
  if (std::abs(measured - best.accuracy) <= 0.01) return core::Status::Ok();
  char text[256];
  std::snprintf(text, sizeof(text),
                ": the winner's recorded validation accuracy %.2f%% is not what this supernet measures (%.2f%%); "
                "the state was edited or belongs to another supernet (rerun with --restart)",
                100 * best.accuracy, 100 * measured);
  return core::Status::Fail(state_path + text);
}

// The finished report: its wall time since `start`, and the output directory written.
core::Result<report::SearchReport> Finished(const SearchRequest& r, report::SearchReport report,
                                            std::chrono::steady_clock::time_point start) {
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (core::Status s = report::WriteSearchOutputs(r.out_dir, report); !s.ok()) return s.error();
  return report;
}

// The plain CNN (core/plain_cnn.h) with the most MACs that fits, at the widths below and the
// space's resolutions, trained from scratch for request.baseline_epochs on the supernet's data
// and recipe, then exported like a winner. Its "candidate" carries width, resolution, resources
// and validation accuracy; its config names no space.
core::Status PlainCnnBaseline(const SearchRequest& r, supernet::Trainer& net, const search::ResourceModel& model,
                              const latency_models::LatencyPredictor& predictor, memory_planner::PlanMode mode,
                              report::SearchReport& report) {
  const core::OfaSpace& space = net.space();
  std::optional<std::pair<search::Candidate, core::Graph>> best;
  for (double width : core::kPlainCnnWidths) {
    for (int resolution : space.resolution_choices) {
      core::Result<core::Graph> graph =
          core::BuildPlainCnn(core::ScaledPlainCnn(space.in_channels, space.num_classes, width, resolution));
      if (!graph.ok()) return core::Status::Fail(graph.error().message);
      core::Result<search::Resources> resources = model.MeasureGraph(graph.value());
      if (!resources.ok()) return core::Status::Fail(resources.error().message);
      if (search::WorstViolation(resources.value(), r.budgets)) continue;
      if (best && resources.value().macs <= best->first.resources.macs) continue;
      search::Candidate c;
      c.config.space = "plain_cnn";
      c.config.width_mult = width;
      c.config.resolution = resolution;
      c.resources = resources.value();
      best = std::make_pair(c, graph.value());
    }
  }
  if (!best) return core::Status::Fail("infeasible budget: no scaled plain CNN fits");
  auto& [candidate, graph] = *best;
  std::printf("plain CNN baseline: width %.3f, resolution %d, %.2fM MACs; training from scratch for %d epochs...\n",
              candidate.config.width_mult, candidate.config.resolution, candidate.resources.macs / 1e6,
              r.baseline_epochs);
  std::fflush(stdout);
  supernet::GraphModule module(graph);
  supernet::TrainGraphModule(module, net.train_set(), net.config(), r.baseline_epochs, r.baseline_lr);
  const core::FloatModel float_model = module->ToFloat();
  supernet::EvalOptions validation;
  validation.max_images = r.config.validation_images;
  candidate.accuracy =
      supernet::FloatModelAccuracy(float_model, net.validation_set(), candidate.config.resolution, validation);
  report.evolution = OneCandidate(candidate);
  report.plain_cnn = true;
  return ExportNetwork(r, net, model, predictor, mode, graph, float_model, "plain_cnn", report);
}

}  // namespace

namespace {

// A given subnet as the report takes a search's winner: resources checked against the budgets,
// validation accuracy from the supernet, then quantized, exported and measured.
core::Result<report::SearchReport> GivenSubnet(const SearchRequest& r, supernet::Trainer& net,
                                               const search::ResourceModel& model,
                                               const latency_models::LatencyPredictor& predictor,
                                               memory_planner::PlanMode mode, const supernet::EvalOptions& eval,
                                               std::chrono::steady_clock::time_point start) {
  search::Candidate c;
  c.config = *r.subnet;
  core::Result<search::Resources> resources = model.Measure(c.config);
  if (!resources.ok()) return resources.error();
  c.resources = resources.value();
  if (const std::optional<search::Constraint> worst = search::WorstViolation(c.resources, r.budgets)) {
    return core::Error{"the subnet exceeds the " + search::ConstraintName(*worst) + " budget (" +
                       search::BudgetFlags() + ")"};
  }
  c.accuracy = supernet::EvaluateSubnet(net.supernet(), c.config, net.train_set(), net.validation_set(), eval);
  report::SearchReport report{r.hw, r.budgets, r.config, {}};
  report.evolution = OneCandidate(c);
  if (core::Status s = ExportWinner(r, net, model, predictor, mode, eval, report); !s.ok()) return s.error();
  return Finished(r, std::move(report), start);
}

// What the stages of one search run share: how candidates are priced (the whole space's model),
// how the supernet is evaluated, where the state is saved.
struct SearchContext {
  SearchContext(const SearchRequest& request, supernet::Trainer& trainer, const latency_models::LatencyLut& lut,
                const memory_planner::CodeSize& code_size)
      : r(request),
        net(trainer),
        code(code_size),
        mode(memory_planner::ParsePlanMode(request.config.execution_mode).value()),
        predictor(lut),
        full_model(trainer.space(), mode, code, predictor, request.budgets.flash_bytes),
        state_path(request.out_dir + "/search_state.json"),
        helper(request.collective && request.collective->rank() > 0) {
    eval.bn_batches = r.config.bn_batches;  // supernet accuracy: batch norm recalibrated, validation subset
    eval.bn_batch_size = r.config.bn_batch_size;
    eval.max_images = r.config.validation_images;
  }
  double Accuracy(const core::SubnetConfig& c) const {
    return supernet::EvaluateSubnet(net.supernet(), c, net.train_set(), net.validation_set(), eval);
  }

  const SearchRequest& r;
  supernet::Trainer& net;
  const memory_planner::CodeSize& code;
  const memory_planner::PlanMode mode;
  const latency_models::LatencyPredictor predictor;
  const search::ResourceModel full_model;
  const std::string state_path;
  const bool helper;  // a rank > 0: measures candidates, writes nothing
  supernet::EvalOptions eval;
};

// Stage 1: every (width, resolution) sub-space ranked by the MACs of its fitting draws (those of
// a resumed state as saved), ranked again with shrunk draws when none fits; `rng` then continues
// as the saved state's did.
core::Result<std::vector<search::SpaceChoice>> RankedSubSpaces(const SearchContext& ctx,
                                                               const std::optional<search::SearchState>& saved,
                                                               std::mt19937& rng) {
  const SearchRequest& r = ctx.r;
  core::Result<std::vector<search::SpaceChoice>> spaces =
      saved ? saved->spaces : search::RankSpaces(ctx.full_model, r.budgets, r.config.stage1_samples, rng);
  if (spaces.ok() && !search::ChooseSpace(spaces.value())) {  // budgets near the smallest subnet: shrink the draws
    spaces = search::RankSpaces(ctx.full_model, r.budgets, r.config.stage1_samples, rng, /*shrink_to_fit=*/true);
  }
  if (saved) rng = search::ParseRngState(saved->evolution.rng).value();  // validated
  return spaces;
}

// Stage 2: the evolution over the chosen sub-space `sub` with accuracy on a fixed validation
// subset (batch norm recalibrated per subnet), or from an MLP predictor fitted on subnets of the
// sub-space (drawn from their own random stream, so the evolution's stream, and resuming, are
// unaffected); or the scaled MobileNetV2 baseline. Saves the state every generation.
core::Result<search::EvolutionResult> Evolution(const SearchContext& ctx, const core::OfaSpace& sub,
                                                const std::optional<search::SearchState>& saved, std::mt19937& rng,
                                                report::SearchReport& report, int& evaluations) {
  const SearchRequest& r = ctx.r;
  const search::AccuracyFn accuracy = [&](const core::SubnetConfig& c) {
    ++evaluations;
    return ctx.Accuracy(c);
  };
  std::mt19937 sample_rng(static_cast<uint32_t>(r.config.seed + 1));
  AccuracyPredictor mlp(ctx.net.space(), 128, r.config.seed);  // seeds LibTorch's generator: made on every path
  if (r.baseline == "mbv2") return ScaledMobileNetV2(ctx.net.space(), ctx.full_model, r.budgets, accuracy);
  search::AccuracySource source;
  source.measure = accuracy;
  if (r.collective && r.collective->distributed()) {
    source.measure_many = SplitOverRanks(*r.collective, accuracy, evaluations);
  }
  if (r.config.accuracy_source == "predictor" && r.baseline.empty()) {
    source.surrogate = &mlp;
    source.surrogate_samples = r.config.predictor_samples;
    source.remeasure_best = r.config.predictor_remeasure_best;
    source.draw = [&] { return core::SampleSubnet(sub, sample_rng); };
  }
  const search::ResourceModel model(sub, ctx.mode, ctx.code, ctx.predictor, r.budgets.flash_bytes);
  const std::string fingerprint = SearchFingerprint(r);
  const auto on_generation = [&](const search::EvolutionState& state) {
    if (ctx.helper) return;
    const search::GenerationLog& log = state.result.log.back();
    const core::Status written = search::SaveSearchState(ctx.state_path, {fingerprint, report.spaces, state});
    if (!written.ok()) core::Logger()->warn("cannot checkpoint the search: {}", written.message());
    core::Logger()->info("generation {}/{}: best {:.2f}% mean {:.2f}% ({} supernet evaluations so far)", log.generation,
                         r.config.evolution.generations, 100 * log.best_accuracy, 100 * log.mean_accuracy, evaluations);
  };
  core::Result<search::SearchOutcome> outcome = search::EvolveWithAccuracy(
      model, r.budgets, source, r.config.evolution, rng, on_generation, saved ? &saved->evolution : nullptr);
  if (!outcome.ok()) return outcome.error();
  if (const auto& q = outcome.value().surrogate) {
    std::printf("accuracy predictor: %d subnets, held-out RMSE %.2f points, Kendall tau %.3f on %d held-out subnets\n",
                q->fitted, 100 * q->rmse, q->kendall_tau, q->held_out);
    report.surrogate = *q;
  }
  if (saved && !source.surrogate && !ctx.helper) {
    const core::Status s = CheckResumedWinner(ctx.state_path, outcome.value().result,
                                              [&](const core::SubnetConfig& c) { return ctx.Accuracy(c); });
    if (!s.ok()) return s.error();
  }
  return outcome.value().result;
}

// The joint search (joint_search.h): the finalists priced for on-device training, the table
// printed and written to out_dir/training/finalists.md, the joint winner moved to the front of
// the population (what ExportWinner exports).
core::Result<JointChoice> JointWinnerFirst(const SearchRequest& r, supernet::Trainer& net,
                                           const supernet::EvalOptions& bn, report::SearchReport& report) {
  const std::string dir = r.out_dir + "/training";
  std::filesystem::create_directories(dir);
  core::Result<JointChoice> chosen =
      ChooseForTraining(net, report.evolution.population, r.training, bn, r.config.calibration_images, dir);
  if (!chosen.ok()) return chosen.error();
  const std::string table = JointChoiceTable(chosen.value(), r.training);
  std::printf("finalists priced for on-device training:\n%s", table.c_str());
  if (core::Status s = core::WriteFileAtomic(dir + "/finalists.md", table); !s.ok()) return s.error();
  const core::SubnetConfig& winner = chosen.value().finalists[static_cast<size_t>(chosen.value().winner)].config;
  std::vector<search::Candidate>& population = report.evolution.population;
  std::stable_partition(population.begin(), population.end(),
                        [&](const search::Candidate& c) { return c.config == winner; });
  return chosen;
}

// RunSearch without the guard against a failed collective.
core::Result<report::SearchReport> SearchOrBaseline(const SearchRequest& r, supernet::Trainer& net,
                                                    const latency_models::LatencyLut& lut,
                                                    const memory_planner::CodeSize& code) {
  const auto start = std::chrono::steady_clock::now();
  const SearchContext ctx(r, net, lut, code);
  if (r.subnet) return GivenSubnet(r, net, ctx.full_model, ctx.predictor, ctx.mode, ctx.eval, start);
  core::Result<std::optional<search::SearchState>> saved = SavedState(r, ctx.state_path, ctx.full_model);
  if (!saved.ok()) return saved.error();

  std::mt19937 rng(static_cast<uint32_t>(r.config.seed));
  core::Result<std::vector<search::SpaceChoice>> ranked = RankedSubSpaces(ctx, saved.value(), rng);
  if (!ranked.ok()) return ranked.error();
  report::SearchReport report{r.hw, r.budgets, r.config, ranked.value()};
  std::printf("%s", report::FormatSpaceTable(report).c_str());
  std::fflush(stdout);        // before the evolution's log lines (stderr)
  if (r.baseline == "cnn") {  // not in the space: whether a subnet fits does not matter
    const core::Status s = PlainCnnBaseline(r, net, ctx.full_model, ctx.predictor, ctx.mode, report);
    if (!s.ok()) return s.error();
    return Finished(r, std::move(report), start);
  }
  const search::SpaceChoice* chosen = search::ChooseSpace(report.spaces);
  if (!chosen) {  // not even the smallest subnet fits: the error names the tightest constraint
    const core::Status fits = search::SmallestFits(ctx.full_model, r.budgets);
    return core::Error{fits.ok() ? "infeasible budget: no sub-space fits" : fits.message()};
  }
  std::printf("chosen sub-space: width %.2f, resolution %d\n", chosen->width, chosen->resolution);
  core::OfaSpace sub = net.space();
  sub.width_choices = {chosen->width};
  sub.resolution_choices = {chosen->resolution};
  if (r.fidelity_subnets > 0) {
    if (core::Status s = PrintFidelity(net, sub, r.config, r.fidelity_subnets); !s.ok()) return s.error();
    return report::SearchReport{};
  }
  int evaluations = 0;
  core::Result<search::EvolutionResult> evolved = Evolution(ctx, sub, saved.value(), rng, report, evaluations);
  if (!evolved.ok()) return evolved.error();
  report.evolution = std::move(evolved).value();
  report.supernet_evaluations = evaluations;
  if (ctx.helper) return report;
  std::optional<JointChoice> joint;
  if (r.training.sram_kb > 0) {
    core::Result<JointChoice> priced = JointWinnerFirst(r, net, ctx.eval, report);
    if (!priced.ok()) return priced.error();
    joint = priced.value();
  }
  const core::Status exported = ExportWinner(r, net, ctx.full_model, ctx.predictor, ctx.mode, ctx.eval, report);
  if (!exported.ok()) return exported.error();
  if (joint && report.export_result) {
    core::Result<std::string> trains = WriteWinnerScheme(net, *joint, r.training, report.export_result->model_path,
                                                         r.hw, r.firmware, r.out_dir + "/training", r.source_root);
    if (!trains.ok()) return trains.error();
    std::printf("%s", trains.value().c_str());
  }
  return Finished(r, std::move(report), start);
}

}  // namespace

core::Result<report::SearchReport> RunSearch(const SearchRequest& r, supernet::Trainer& net,
                                             const latency_models::LatencyLut& lut,
                                             const memory_planner::CodeSize& code) {
  try {
    return SearchOrBaseline(r, net, lut, code);
  } catch (const std::exception& e) {  // a collective of a distributed search failed: a rank is gone
    const std::string what = e.what();
    return core::Error{what.substr(0, what.find('\n'))};
  }
}

}  // namespace kilonas::pipeline
