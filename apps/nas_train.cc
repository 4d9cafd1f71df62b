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

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{"Train the once-for-all supernet on a data set (default: Fashion-MNIST)"};
  std::string config_path = "configs/supernet_fmnist_quick.json", checkpoint_dir, export_subnet, out_dir, data, space;
  bool resume = false, test = false, evaluate = false;
  int stop_after = -1, threads = 0, test_images = 2000;
  app.add_option("--config", config_path, "training config")->capture_default_str();
  app.add_flag("--resume", resume, "continue from the last checkpoint in the checkpoint directory");
  app.add_option("--checkpoint-dir", checkpoint_dir, "override the config's checkpoint directory");
  app.add_option("--data", data,
                 "override the config's data set: a directory, or format:path (idx, cifar10, cifar100, folder)");
  app.add_option("--space", space, "override the config's search space: a built-in name or a space JSON file");
  app.add_option("--threads", threads, "override the config's thread count")->check(CLI::Range(1, 256));
  std::string device;
  app.add_option("--device", device,
                 "override the config's training device: cpu, or cuda (cuda:N) where LibTorch has CUDA");
  app.add_option("--stop-after-epochs", stop_after, "train at most this many epochs in this run")
      ->check(CLI::Range(0, 100000));
  app.add_flag(
      "--evaluate", evaluate,
      "report subnet accuracies even when training is unfinished (check a checkpoint: --resume --stop-after-epochs 0)");
  app.add_flag("--test", test, "also report the largest and smallest subnets' test accuracy (final numbers only)");
  CLI::Option* export_option = app.add_option(
      "--export", export_subnet, "largest, smallest or a subnet JSON: int8 export, float vs int8 test accuracy");
  app.add_option("--out-dir", out_dir, "where --export writes (default: <checkpoint dir>/export)");
  app.add_option("--test-images", test_images, "test images for --export (0: all 10,000)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30));
  int finetune_epochs = 0;
  double finetune_lr = 0.01;
  app.add_option("--finetune-epochs", finetune_epochs,
                 "with --export: first train the subnet on its own for this many epochs (MCUNet's fine-tuning)")
      ->check(CLI::Range(0, 10000))
      ->needs(export_option);
  app.add_option("--finetune-lr", finetune_lr, "initial learning rate of the fine-tuning (cosine to 0)")
      ->capture_default_str()
      ->check(apps::FiniteRange(1e-6, 10))
      ->needs(export_option);
  supernet::DistributedFlags distributed;
  apps::AddDistributedFlags(app, distributed);
  KILONAS_PARSE(app, argc, argv);
  spdlog::set_pattern("[%H:%M:%S] %v");
  core::Result<supernet::DistributedOptions> ranks = supernet::ResolveDistributed(distributed);
  if (!ranks.ok()) return Fail(ranks.error().message);

  const pipeline::SupernetChoice choice{config_path, checkpoint_dir, data, space, threads, device};
  core::Result<supernet::TrainConfig> config = pipeline::TrainConfigFor(choice);
  if (!config.ok()) return Fail(config.error().message);
  // Rank 0 writes the checkpoints: exclusive while it trains; a finished checkpoint that is only
  // evaluated or exported is shared with the searches reading it.
  std::optional<core::DirLock> lock;
  if (ranks.value().rank == 0) {
    core::Result<core::DirLock> locked = core::DirLock::AcquireShared(config.value().checkpoint_dir);
    if (!locked.ok()) return Fail(locked.error().message);
    lock.emplace(std::move(locked).value());
  }
  if (ranks.value().world_size > 1) {
    spdlog::info("rank {} of {}: meeting the others at {}:{}", ranks.value().rank, ranks.value().world_size,
                 ranks.value().master_addr, ranks.value().master_port);
  }
  core::Result<std::shared_ptr<supernet::Collective>> collective = supernet::Collective::Connect(ranks.value());
  if (!collective.ok()) return Fail(collective.error().message);
  apps::LogAsRank(*collective.value());
  if (core::Status s = collective.value()->CheckSameRun(pipeline::RunIdentity(choice, config.value())); !s.ok()) {
    return Fail(s.message());
  }
  core::Result<std::unique_ptr<supernet::Trainer>> created =
      supernet::Trainer::Create(config.value(), resume, collective.value());
  if (!created.ok()) return Fail(created.error().message);
  supernet::Trainer& trainer = *created.value();
  if (lock && !trainer.Done() && stop_after != 0) {
    if (core::Status s = lock->Upgrade("nas_train"); !s.ok()) return Fail(s.message());
  }
  const auto start = std::chrono::steady_clock::now();
  if (core::Status s = trainer.Run(stop_after); !s.ok()) return Fail(s.message());
  if (collective.value()->rank() > 0) return 0;  // rank 0 reports, evaluates and exports
  if (collective.value()->distributed() && !trainer.history().empty()) {
    const supernet::EpochReport& last = trainer.history().back();
    std::printf("data parallel: %d ranks, %.0f images/s in the last epoch, %.1f kB all-reduced per step and rank\n",
                collective.value()->world_size(), last.images_per_second, last.reduced_bytes_per_step / 1024);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("trained %zu epochs in %.1f s this run%s\n", trainer.history().size(), seconds,
              trainer.Done() ? " (all phases done)" : "");
  if (!trainer.Done() && !evaluate) return 0;

  supernet::EvalOptions options;  // BN recalibrated as the train config says (bn_recalibration_batches)
  options.bn_batches = config.value().bn_recalibration_batches;
  for (const char* which : {"largest", "smallest"}) {
    const core::SubnetConfig subnet = ChooseSubnet(which, trainer.space()).value();
    const auto t0 = std::chrono::steady_clock::now();
    const double accuracy =
        supernet::EvaluateSubnet(trainer.supernet(), subnet, trainer.train_set(), trainer.validation_set(), options);
    const double eval_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::printf("%-8s subnet: validation accuracy %.2f%% (%zu images, BN recalibrated; %.1f s = %.1f subnets/min)\n",
                which, 100 * accuracy, trainer.validation_set().size(), eval_s, 60.0 / eval_s);
  }
  if (test) {  // the figures a checkpoint's provenance records
    for (const char* which : {"largest", "smallest"}) {
      const core::SubnetConfig subnet = ChooseSubnet(which, trainer.space()).value();
      core::Result<core::FloatModel> model =
          supernet::RecalibratedSubnet(trainer.supernet(), subnet, trainer.train_set(), options);
      if (!model.ok()) return Fail(model.error().message);
      supernet::EvalOptions first = options;
      first.max_images = 1000;
      const double all = supernet::FloatModelAccuracy(model.value(), trainer.test_set(), subnet.resolution, options);
      const double head = supernet::FloatModelAccuracy(model.value(), trainer.test_set(), subnet.resolution, first);
      std::printf("%-8s subnet: test accuracy %.2f%% (%zu images), %.2f%% on the first 1000\n", which, 100 * all,
                  trainer.test_set().size(), 100 * head);
    }
  }
  if (!export_subnet.empty()) {
    core::Result<core::SubnetConfig> subnet = ChooseSubnet(export_subnet, trainer.space());
    if (!subnet.ok()) return Fail(subnet.error().message);
    const ExportRequest request{subnet.value(), out_dir.empty() ? config.value().checkpoint_dir + "/export" : out_dir,
                                test_images, finetune_epochs, finetune_lr};
    return ExportAndCompare(trainer, config.value(), request, options);
  }
  return 0;
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_train", argc, argv, ToolMain); }
