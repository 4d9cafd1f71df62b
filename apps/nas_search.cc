// nas_search: the main job. Trains (or loads) the once-for-all supernet, picks the sub-space
// (TinyNAS stage 1), evolves subnets under the MCU's SRAM / flash / latency budgets with
// supernet accuracy (stage 2), and exports the winner to int8 firmware run in QEMU, with a report.
// The flags only; the pipeline is pipeline/search_run.h.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>

#include "apps/cli.h"
#include "apps/distributed_flags.h"
#include "core/logging.h"
#include "pipeline/search_run.h"
#include "pipeline/supernet_source.h"

#ifndef KILONAS_SOURCE_DIR
#define KILONAS_SOURCE_DIR "."
#endif

namespace {

using namespace kilonas;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_search", message); }

struct Flags {
  std::string hw_path = "hw_profiles/stm32f746.json", config_path = "configs/search_fmnist_quick.json", out_dir;
  std::string data, space, supernet_dir, supernet_config, baseline, subnet, lut;
  search::BudgetOverrides budgets;  // in each objective's unit
  bool no_firmware = false, restart = false, pareto = false, no_latency = false;
  int fidelity = 0, finetune_epochs = 0, baseline_epochs = 10, threads = 0;
  std::string device;
  supernet::DistributedFlags distributed;
  double finetune_lr = 0.01;
  pipeline::TrainingBudget training;  // the joint search with an on-device update scheme
};

// --train-sram-kb and the transfer task it is judged on (pipeline/joint_search.h).
void AddTrainingFlags(CLI::App& app, pipeline::TrainingBudget& t) {
  CLI::Option* budget =
      app.add_option("--train-sram-kb", t.sram_kb,
                     "joint search: the winner among the evolution's finalists by the accuracy its on-device "
                     "fine-tune on --transfer-data reaches within this training SRAM (kB), exported with its scheme")
          ->check(apps::FiniteRange(1, 1 << 20));
  app.add_option("--transfer-data", t.data, "the transfer data set of --train-sram-kb (the formats of --data)")
      ->needs(budget);
  budget->needs("--transfer-data");
  app.add_flag("--transfer-reinit-head", t.reinit_head,
               "new classes: each finalist's classifier re-initialised before its fine-tunes")
      ->needs(budget);
  app.add_option("--transfer-finalists", t.finalists, "the evolution's best distinct subnets priced")
      ->capture_default_str()
      ->check(CLI::Range(1, 64))
      ->needs(budget);
  app.add_option("--transfer-steps", t.steps, "SGD steps of each final fine-tune")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000))
      ->needs(budget);
  app.add_option("--transfer-analysis-steps", t.analysis_steps, "SGD steps of each contribution-analysis run")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000))
      ->needs(budget);
  app.add_option("--transfer-images", t.eval_images, "validation images each fine-tune is scored on")
      ->capture_default_str()
      ->check(CLI::Range(1, 1 << 30))
      ->needs(budget);
}

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--hw", f.hw_path, "hardware profile")->capture_default_str();
  app.add_option("--config", f.config_path, "search config")->capture_default_str();
  for (const search::Objective& o : search::Objectives()) {
    app.add_option(o.flag, f.budgets[static_cast<size_t>(o.id)], o.flag_help);
  }
  app.add_flag("--no-latency-budget", f.no_latency, "no latency budget, whatever the config says")
      ->excludes(search::ObjectiveOf(search::Constraint::kLatency).flag);
  app.add_option("--out-dir", f.out_dir, "output directory (default: the config's output_dir/<mcu>)");
  app.add_option("--data", f.data,
                 "data set instead of the supernet config's: a directory, or format:path (idx, cifar10, cifar100, "
                 "folder); give it a supernet directory of its own (--supernet-dir)");
  app.add_option("--space", f.space,
                 "search space instead of the supernet config's: a built-in name or a space JSON file");
  app.add_option("--lut", f.lut,
                 "latency LUT of the profile's MCU (default: the profile's; nas_profile --space FILE writes one for "
                 "a space of your own)");
  app.add_option("--supernet-config", f.supernet_config,
                 "supernet training config used when no finished checkpoint exists (default: the search config's "
                 "supernet_config)");
  app.add_option("--supernet-dir", f.supernet_dir,
                 "supernet checkpoint directory instead of the config's supernet_checkpoint_dir");
  app.add_flag("--no-firmware", f.no_firmware, "skip building and running the winner's firmware");
  app.add_flag("--restart", f.restart, "ignore a saved search state and start over");
  app.add_flag("--pareto", f.pareto,
               "multi-objective evolution: parents by Pareto rank over accuracy, " + search::ParetoObjectiveNames());
  app.add_option("--baseline", f.baseline,
                 "instead of searching, for comparison tables: mbv2, the scaled MobileNetV2 of the space (kernel 3, "
                 "expand 6, full depth) with the most MACs that fits; cnn, the plain CNN (3x3 convolutions, pooling, "
                 "classifier) with the most MACs that fits, trained from scratch")
      ->check(CLI::IsMember({"mbv2", "cnn"}));
  app.add_option("--baseline-epochs", f.baseline_epochs, "training epochs of the cnn baseline")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  app.add_option("--finetune-epochs", f.finetune_epochs,
                 "train the winner on its own for this many epochs before quantization (MCUNet's fine-tuning)")
      ->check(CLI::Range(0, 10000));
  app.add_option("--finetune-lr", f.finetune_lr, "initial learning rate of the fine-tuning (cosine to 0)")
      ->capture_default_str()
      ->check(apps::FiniteRange(1e-6, 10));
  app.add_option("--fidelity", f.fidelity,
                 "instead of searching, measure how the fitness ranks N random subnets of the chosen sub-space "
                 "against their int8 accuracy on the whole test set (Kendall tau per fitness setting)")
      ->check(CLI::Range(2, 100000));
  app.add_option("--subnet", f.subnet,
                 "instead of searching, export this subnet JSON (a model of models/) with the supernet's weights, "
                 "checked against the budgets");
  app.add_option("--threads", f.threads, "LibTorch threads (default: the supernet config's)")
      ->check(CLI::Range(1, 256));
  app.add_option("--device", f.device, "device for training a supernet the config lacks: cpu, or cuda (cuda:N)");
  apps::AddDistributedFlags(app, f.distributed);
  AddTrainingFlags(app, f.training);
}

// The request the flags describe (the collective aside): profile, search config with the flags'
// overrides, budgets, output directory and what to run.
core::Result<pipeline::SearchRequest> RequestOf(Flags& f) {
  pipeline::SearchRequest request;
  core::Result<core::HwProfile> hw = core::LoadHwProfile(f.hw_path);
  if (!hw.ok()) return hw.error();
  request.hw = hw.value();
  core::Result<search::SearchConfig> config = search::LoadSearchConfig(f.config_path);
  if (!config.ok()) return config.error();
  request.config = config.value();
  if (f.pareto) request.config.evolution.multi_objective = true;
  if (!f.supernet_dir.empty()) request.config.supernet_checkpoint_dir = f.supernet_dir;
  if (!f.supernet_config.empty()) request.config.supernet_config = f.supernet_config;
  std::optional<double>& latency_ms = f.budgets[static_cast<size_t>(search::Constraint::kLatency)];
  if (f.no_latency) {
    latency_ms.reset();
  } else if (!latency_ms) {
    latency_ms = request.config.latency_ms;  // the search config's budget, unless the flag overrides it
  }
  const core::Result<search::Budgets> budgets = search::BudgetsFor(request.hw, f.budgets);
  if (!budgets.ok()) return core::Error{budgets.error().message + " (" + search::BudgetFlags() + ")"};
  request.budgets = budgets.value();
  // One output directory per data set: a second data set's search never replaces the first's.
  request.out_dir = !f.out_dir.empty() ? f.out_dir
                    : f.data.empty()   ? request.config.output_dir + "/" + request.hw.name
                                     : pipeline::PerDataSet(request.config.output_dir + "/" + request.hw.name, f.data);
  // The space by its identity (a file by its content): a copy elsewhere resumes, an edit does not.
  std::string space;
  if (!f.space.empty()) {
    core::Result<core::OfaSpace> resolved = core::ResolveSpace(f.space);
    if (!resolved.ok()) return core::Error{"--space: " + resolved.error().message};
    space = "\nspace " + core::SpaceIdentity(resolved.value(), f.space);
  }
  request.fingerprint_extra = (f.data.empty() ? "" : "\ndata " + f.data) + space;
  request.restart = f.restart;
  request.firmware = !f.no_firmware;
  request.baseline = f.baseline;
  request.baseline_epochs = f.baseline_epochs;
  request.fidelity_subnets = f.fidelity;
  request.finetune_epochs = f.finetune_epochs;
  request.finetune_lr = f.finetune_lr;
  request.training = f.training;
  request.training.seed = static_cast<uint32_t>(request.config.seed);
  request.source_root = KILONAS_SOURCE_DIR;
  return request;
}

// The supernet the search reads, every rank agreeing on the run first. Readers of a finished
// supernet share its directory; training into it excludes them.
core::Result<std::unique_ptr<supernet::Trainer>> SupernetOf(const Flags& f, const pipeline::SearchRequest& request,
                                                            bool writer) {
  const pipeline::SupernetChoice choice{
      request.config.supernet_config, request.config.supernet_checkpoint_dir, f.data, f.space, f.threads, f.device,
      !f.supernet_dir.empty()};
  core::Result<supernet::TrainConfig> train = pipeline::TrainConfigFor(choice);
  if (!train.ok()) return train.error();
  const std::string identity = pipeline::RunIdentity(choice, train.value()) + pipeline::SearchFingerprint(request);
  if (core::Status s = request.collective->CheckSameRun(identity); !s.ok()) return s.error();
  std::optional<core::DirLock> lock;
  if (writer) {
    core::Result<core::DirLock> locked = core::DirLock::AcquireShared(train.value().checkpoint_dir);
    if (!locked.ok()) return locked.error();
    lock.emplace(std::move(locked).value());
  }
  return pipeline::ReadySupernet(train.value(), lock ? &*lock : nullptr, "nas_search", request.collective);
}

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{
      "Hardware-aware NAS for microcontrollers: supernet -> TinyNAS search -> int8 firmware.\n"
      "Loads the config's supernet checkpoint (supernet_checkpoint_dir; trains it with supernet_config first when\n"
      "there is none), searches under the profile's budgets and writes to --out-dir (default output_dir/<mcu>):\n"
      "search_state.json (resumed unless --restart), report.md, best_subnet.json, pareto.json, export/ (firmware)."};
  Flags f;
  AddFlags(app, f);
  KILONAS_PARSE(app, argc, argv);
  spdlog::set_pattern("[%H:%M:%S] %v");
  core::Result<supernet::DistributedOptions> ranks = supernet::ResolveDistributed(f.distributed);
  if (!ranks.ok()) return Fail(ranks.error().message);
  if (ranks.value().world_size > 1 && (!f.baseline.empty() || f.fidelity > 0 || !f.subnet.empty())) {
    return Fail("--baseline, --fidelity and --subnet run in one process (--world-size 1)");
  }
  if (f.training.sram_kb > 0 && (!f.baseline.empty() || f.fidelity > 0 || !f.subnet.empty())) {
    return Fail("--train-sram-kb chooses among a search's finalists: not with --baseline, --fidelity or --subnet");
  }
  core::Result<pipeline::SearchRequest> request = RequestOf(f);
  if (!request.ok()) return Fail(request.error().message);
  core::Result<latency_models::LatencyLut> lut = latency_models::LoadLutFor(request.value().hw, f.lut);
  if (!lut.ok()) return Fail((f.lut.empty() ? f.hw_path + ": " : "") + lut.error().message);
  core::Result<memory_planner::CodeSize> code = memory_planner::LoadCodeSize(request.value().hw.code_size);
  if (!code.ok()) return Fail(f.hw_path + ": key 'code_size': " + code.error().message);
  const bool writer = ranks.value().rank == 0;  // the other ranks measure candidates and write nothing
  std::optional<core::DirLock> out_lock;
  if (writer) {
    core::Result<core::DirLock> locked = apps::LockDir("nas_search", request.value().out_dir);
    if (!locked.ok()) return Fail(locked.error().message);
    out_lock.emplace(std::move(locked).value());
  }
  core::Result<std::shared_ptr<supernet::Collective>> collective = supernet::Collective::Connect(ranks.value());
  if (!collective.ok()) return Fail(collective.error().message);
  apps::LogAsRank(*collective.value());
  request.value().collective = collective.value();
  core::Result<std::unique_ptr<supernet::Trainer>> net = SupernetOf(f, request.value(), writer);
  if (!net.ok()) return Fail(net.error().message);
  if (!f.subnet.empty()) {
    core::Result<core::SubnetConfig> subnet = core::LoadSubnetConfig(f.subnet, &net.value()->space());
    if (!subnet.ok()) return Fail(subnet.error().message);
    request.value().subnet = subnet.value();
  }
  core::Result<report::SearchReport> report =
      pipeline::RunSearch(request.value(), *net.value(), lut.value(), code.value());
  if (!report.ok()) return Fail(report.error().message);
  if (f.fidelity > 0) return 0;
  if (!writer) {
    spdlog::warn("done: rank 0 exports the winner");
    return 0;
  }
  std::printf("%s", report::FormatSummary(report.value()).c_str());
  if (const std::optional<std::string> broken = report::BudgetBrokenInFirmware(report.value())) return Fail(*broken);
  return 0;
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_search", argc, argv, ToolMain); }
