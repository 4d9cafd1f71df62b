// nas_train: trains the once-for-all supernet on a data set (progressive shrinking), resumes
// after an interruption, reports the accuracy of the largest and smallest subnets, and exports a
// subnet to int8 to compare the engine's accuracy with the float network's on the test set.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "apps/cli.h"
#include "apps/distributed_flags.h"
#include "core/file_io.h"
#include "core/logging.h"
#include "core/ofa_space.h"
#include "engine/model_file.h"
#include "pipeline/int8_result.h"
#include "pipeline/supernet_source.h"
#include "supernet/evaluate.h"
#include "supernet/graph_training.h"
#include "supernet/trainer.h"

namespace {

using namespace kilonas;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_train", message); }

core::Result<core::SubnetConfig> ChooseSubnet(const std::string& which, const core::OfaSpace& space) {
  if (which == "largest") return core::LargestSubnet(space);
  if (which == "smallest") {
    core::SubnetConfig c = core::SmallestSubnet(space);
    c.resolution = core::LargestSubnet(space).resolution;  // compared with the largest at its resolution
    return c;
  }
  return core::LoadSubnetConfig(which, &space);
}

struct ExportRequest {
  core::SubnetConfig config;
  std::string out_dir;
  int test_images = 2000;
  int finetune_epochs = 0;  // > 0: fine-tune the subnet on its own first (FineTuneSubnet)
  double finetune_lr = 0.01;
};

// Float accuracy of the subnet (fine-tuned or as the supernet has it) vs int8 accuracy of its
// engine export (inplace plan, nas_search's calibration), on the test set.
int ExportAndCompare(supernet::Trainer& trainer, const supernet::TrainConfig& recipe, const ExportRequest& request,
                     supernet::EvalOptions options) {
  core::Result<core::DirLock> out_lock = apps::LockDir("nas_train", request.out_dir);  // as nas_export's
  if (!out_lock.ok()) return Fail(out_lock.error().message);
  const core::SubnetConfig& config = request.config;
  core::Result<core::FloatModel> float_model = core::Error{"not made"};
  if (request.finetune_epochs > 0) {
    options.max_images = request.test_images;
    const double before =
        supernet::EvaluateSubnet(trainer.supernet(), config, trainer.train_set(), trainer.test_set(), options);
    std::printf("before fine-tuning: float test accuracy %.2f%%; fine-tuning %d epochs from lr %g...\n", 100 * before,
                request.finetune_epochs, request.finetune_lr);
    std::fflush(stdout);
    float_model = supernet::FineTuneSubnet(trainer.supernet(), config, trainer.train_set(), options, recipe,
                                           request.finetune_epochs, request.finetune_lr);
  } else {
    float_model = supernet::RecalibratedSubnet(trainer.supernet(), config, trainer.train_set(), options);
  }
  if (!float_model.ok()) return Fail(float_model.error().message);
  core::Result<pipeline::Int8Result> int8 =
      pipeline::QuantizeAndTest(float_model.value(), trainer, config.resolution, {}, {64, request.test_images});
  if (!int8.ok()) return Fail(int8.error().message);
  const pipeline::Int8Result& r = int8.value();
  const std::string path = request.out_dir + "/subnet.kmodel";
  if (core::Status s = engine::SaveModel(r.model, path); !s.ok()) return Fail(s.message());
  if (core::Status s = core::WriteFileAtomic(request.out_dir + "/subnet.json", core::SubnetConfigToJson(config));
      !s.ok()) {
    return Fail(s.message());
  }
  std::printf(
      "export %s%s: %.2fM MACs, test accuracy on %lld images: float %.2f%%, int8 engine %.2f%% (%+.2f points)\n",
      path.c_str(), request.finetune_epochs > 0 ? " (fine-tuned)" : "", r.model.graph.TotalMacs() / 1e6,
      static_cast<long long>(r.test_images), 100 * r.float_test_accuracy, 100 * r.int8_test_accuracy,
      100 * (r.int8_test_accuracy - r.float_test_accuracy));
  return 0;
}

struct Flags {
  std::string config_path = "configs/supernet_fmnist_quick.json", checkpoint_dir, export_subnet, out_dir, data, space;
  std::string device;
  bool resume = false, test = false, evaluate = false;
  int stop_after = -1, threads = 0, test_images = 2000, finetune_epochs = 0;
  double finetune_lr = 0.01;
  supernet::DistributedFlags distributed;
};

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--config", f.config_path, "training config")->capture_default_str();
  app.add_flag("--resume", f.resume, "continue from the last checkpoint in the checkpoint directory");
  app.add_option("--checkpoint-dir", f.checkpoint_dir, "override the config's checkpoint directory");
  app.add_option("--data", f.data,
                 "override the config's data set: a directory, or format:path (idx, cifar10, cifar100, folder)");
  app.add_option("--space", f.space, "override the config's search space: a built-in name or a space JSON file");
  app.add_option("--threads", f.threads, "override the config's thread count")->check(CLI::Range(1, 256));
  app.add_option("--device", f.device,
                 "override the config's training device: cpu, or cuda (cuda:N) where LibTorch has CUDA");
  app.add_option("--stop-after-epochs", f.stop_after, "train at most this many epochs in this run")
      ->check(CLI::Range(0, 100000));
  app.add_flag(
      "--evaluate", f.evaluate,
      "report subnet accuracies even when training is unfinished (check a checkpoint: --resume --stop-after-epochs 0)");
  app.add_flag("--test", f.test, "also report the largest and smallest subnets' test accuracy (final numbers only)");
  CLI::Option* export_option = app.add_option(
      "--export", f.export_subnet, "largest, smallest or a subnet JSON: int8 export, float vs int8 test accuracy");
  app.add_option("--out-dir", f.out_dir, "where --export writes (default: <checkpoint dir>/export)");
  app.add_option("--test-images", f.test_images, "test images for --export (0: all 10,000)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  app.add_option("--finetune-epochs", f.finetune_epochs,
                 "with --export: first train the subnet on its own for this many epochs (MCUNet's fine-tuning)")
      ->check(CLI::Range(0, 10000))
      ->needs(export_option);
  app.add_option("--finetune-lr", f.finetune_lr, "initial learning rate of the fine-tuning (cosine to 0)")
      ->capture_default_str()
      ->check(apps::FiniteRange(1e-6, 10))
      ->needs(export_option);
  apps::AddDistributedFlags(app, f.distributed);
}

// The trainer of this rank, connected to the others, its checkpoint directory locked by rank 0:
// exclusive while it trains; a finished checkpoint that is only evaluated or exported is shared
// with the searches reading it.
struct RankTrainer {
  std::optional<core::DirLock> lock;
  std::shared_ptr<supernet::Collective> collective;
  std::unique_ptr<supernet::Trainer> trainer;
};

core::Result<RankTrainer> ConnectAndCreate(const Flags& f, const pipeline::SupernetChoice& choice,
                                           const supernet::TrainConfig& config) {
  core::Result<supernet::DistributedOptions> ranks = supernet::ResolveDistributed(f.distributed);
  if (!ranks.ok()) return ranks.error();
  RankTrainer out;
  if (ranks.value().rank == 0) {
    core::Result<core::DirLock> locked = core::DirLock::AcquireShared(config.checkpoint_dir);
    if (!locked.ok()) return locked.error();
    out.lock.emplace(std::move(locked).value());
  }
  if (ranks.value().world_size > 1) {
    spdlog::info("rank {} of {}: meeting the others at {}:{}", ranks.value().rank, ranks.value().world_size,
                 ranks.value().master_addr, ranks.value().master_port);
  }
  core::Result<std::shared_ptr<supernet::Collective>> collective = supernet::Collective::Connect(ranks.value());
  if (!collective.ok()) return collective.error();
  out.collective = collective.value();
  apps::LogAsRank(*out.collective);
  if (core::Status s = out.collective->CheckSameRun(pipeline::RunIdentity(choice, config)); !s.ok()) return s.error();
  core::Result<std::unique_ptr<supernet::Trainer>> created =
      supernet::Trainer::Create(config, f.resume, out.collective);
  if (!created.ok()) return created.error();
  out.trainer = std::move(created).value();
  if (out.lock && !out.trainer->Done() && f.stop_after != 0) {
    if (core::Status s = out.lock->Upgrade("nas_train"); !s.ok()) return s.error();
  }
  return out;
}

void PrintTrainingRun(const supernet::Trainer& trainer, const supernet::Collective& collective, double seconds) {
  if (collective.distributed() && !trainer.history().empty()) {
    const supernet::EpochReport& last = trainer.history().back();
    std::printf("data parallel: %d ranks, %.0f images/s in the last epoch, %.1f kB all-reduced per step and rank\n",
                collective.world_size(), last.images_per_second, last.reduced_bytes_per_step / 1024);
  }
  std::printf("trained %zu epochs in %.1f s this run%s\n", trainer.history().size(), seconds,
              trainer.Done() ? " (all phases done)" : "");
}

// Validation accuracy of the largest and smallest subnets, and with `test` their test accuracy
// (the figures a checkpoint's provenance records).
core::Status PrintAccuracies(supernet::Trainer& trainer, const supernet::EvalOptions& options, bool test) {
  for (const char* which : {"largest", "smallest"}) {
    const core::SubnetConfig subnet = ChooseSubnet(which, trainer.space()).value();
    const auto t0 = std::chrono::steady_clock::now();
    const double accuracy =
        supernet::EvaluateSubnet(trainer.supernet(), subnet, trainer.train_set(), trainer.validation_set(), options);
    const double eval_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-8s subnet: validation accuracy %.2f%% (%zu images, BN recalibrated; %.1f s = %.1f subnets/min)\n",
                which, 100 * accuracy, trainer.validation_set().size(), eval_s, 60.0 / eval_s);
  }
  if (!test) return core::Status::Ok();
  for (const char* which : {"largest", "smallest"}) {
    const core::SubnetConfig subnet = ChooseSubnet(which, trainer.space()).value();
    core::Result<core::FloatModel> model =
        supernet::RecalibratedSubnet(trainer.supernet(), subnet, trainer.train_set(), options);
    if (!model.ok()) return model.error();
    supernet::EvalOptions first = options;
    first.max_images = 1000;
    const double all = supernet::FloatModelAccuracy(model.value(), trainer.test_set(), subnet.resolution, options);
    const double head = supernet::FloatModelAccuracy(model.value(), trainer.test_set(), subnet.resolution, first);
    std::printf("%-8s subnet: test accuracy %.2f%% (%zu images), %.2f%% on the first 1000\n", which, 100 * all,
                trainer.test_set().size(), 100 * head);
  }
  return core::Status::Ok();
}

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{"Train the once-for-all supernet on a data set (default: Fashion-MNIST)"};
  Flags f;
  AddFlags(app, f);
  KILONAS_PARSE(app, argc, argv);
  spdlog::set_pattern("[%H:%M:%S] %v");
  if (core::Result<supernet::DistributedOptions> ranks = supernet::ResolveDistributed(f.distributed); !ranks.ok()) {
    return Fail(ranks.error().message);
  }
  const pipeline::SupernetChoice choice{f.config_path, f.checkpoint_dir, f.data, f.space, f.threads, f.device};
  core::Result<supernet::TrainConfig> config = pipeline::TrainConfigFor(choice);
  if (!config.ok()) return Fail(config.error().message);
  core::Result<RankTrainer> rank = ConnectAndCreate(f, choice, config.value());
  if (!rank.ok()) return Fail(rank.error().message);
  supernet::Trainer& trainer = *rank.value().trainer;
  const auto start = std::chrono::steady_clock::now();
  if (core::Status s = trainer.Run(f.stop_after); !s.ok()) return Fail(s.message());
  if (rank.value().collective->rank() > 0) return 0;  // rank 0 reports, evaluates and exports
  PrintTrainingRun(trainer, *rank.value().collective,
                   std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  if (!trainer.Done() && !f.evaluate) return 0;

  supernet::EvalOptions options;  // BN recalibrated as the train config says (bn_recalibration_batches)
  options.bn_batches = config.value().bn_recalibration_batches;
  if (core::Status s = PrintAccuracies(trainer, options, f.test); !s.ok()) return Fail(s.message());
  if (f.export_subnet.empty()) return 0;
  core::Result<core::SubnetConfig> subnet = ChooseSubnet(f.export_subnet, trainer.space());
  if (!subnet.ok()) return Fail(subnet.error().message);
  const ExportRequest request{subnet.value(), f.out_dir.empty() ? config.value().checkpoint_dir + "/export" : f.out_dir,
                              f.test_images, f.finetune_epochs, f.finetune_lr};
  return ExportAndCompare(trainer, config.value(), request, options);
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_train", argc, argv, ToolMain); }
