// supernet_bench: training and evaluation throughput of the Fashion-MNIST supernet on this CPU,
// NCHW against channels-last activations, in one run (the same seeds and data for both):
//  - training images/s of a largest-subnet step (r32, nothing elastic) and of a sandwich step
//    (largest + smallest + one random subnet, every dimension elastic), 2 epochs of
//    --steps steps each after a warm-up epoch;
//  - evaluation subnets/min at the search's settings (BN recalibrated on 2 x 128 images, 1000
//    validation images) for the largest and the smallest subnet: the eager elastic supernet in
//    NCHW in batches of 1000 (the old path) against EvaluateSubnet (frozen, channels-last, 200);
//  - the largest subnet as a plain static LibTorch module (supernet/graph_module.h, channels-last,
//    no elastic machinery): its training step and its evaluation (2 x 128 images in train mode,
//    the cost of BN re-estimation, then 1000 validation images in eval mode), for reference;
//  - ReLU6 as clamp vs hardtanh, forward + backward on a [128, 96, 16, 16] tensor.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <numeric>
#include <string>

#include "apps/cli.h"
#include "supernet/evaluate.h"
#include "supernet/graph_module.h"
#include "supernet/trainer.h"

namespace {

using namespace kilonas;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) { return std::chrono::duration<double>(Clock::now() - since).count(); }

supernet::TrainConfig BenchConfig(int threads, int steps, const std::string& dir) {
  using supernet::Elastic;
  supernet::TrainConfig c;
  c.threads = threads;
  c.batch_size = 128;
  c.train_images = steps * c.batch_size;
  c.sandwich_random_subnets = 1;
  c.progress_every_steps = 1 << 30;
  c.checkpoint_dir = dir;
  const std::vector<Elastic> all = {Elastic::kResolution, Elastic::kKernel, Elastic::kDepth, Elastic::kExpand,
                                    Elastic::kWidth};
  c.phases = {{"warm-up", 1, 0.05, {}}, {"largest", 2, 0.05, {}}, {"sandwich", 2, 0.02, all}};
  return c;
}

struct Figures {
  double largest_images_per_s = 0, sandwich_images_per_s = 0;
  double largest_subnets_per_min = 0, smallest_subnets_per_min = 0;
};

// Subnets per minute of `evaluate` (one subnet evaluation), after one warm-up call.
double SubnetsPerMinute(const std::function<void()>& evaluate) {
  evaluate();
  const int runs = 3;
  const auto start = Clock::now();
  for (int i = 0; i < runs; ++i) evaluate();
  return 60.0 * runs / Seconds(start);
}

// Evaluation at the search's settings (BN recalibrated on 2 x 128 images, 1000 validation
// images) of the largest and the smallest subnet at r32: the eager elastic supernet in batches of
// 1000 (what evaluation ran before) or EvaluateSubnet (frozen subnet, default batches).
void MeasureEvaluation(supernet::Trainer& t, bool frozen, Figures& f) {
  supernet::EvalOptions search;
  search.bn_batches = 2;
  search.bn_batch_size = 128;
  search.max_images = 1000;
  if (!frozen) search.batch_size = 1000;  // the old path's inference batch (now 200)
  core::SubnetConfig smallest = core::SmallestSubnet(t.space());
  smallest.resolution = core::LargestSubnet(t.space()).resolution;
  for (auto [config, out] : {std::pair{core::LargestSubnet(t.space()), &f.largest_subnets_per_min},
                             std::pair{smallest, &f.smallest_subnets_per_min}}) {
    *out = SubnetsPerMinute([&, config = config] {
      if (frozen) {
        supernet::EvaluateSubnet(t.supernet(), config, t.train_set(), t.validation_set(), search);
        return;
      }
      (void)t.supernet()->SetActive(config);
      supernet::RecalibrateBatchNorm(t.supernet(), t.train_set(), search.bn_batches, search.bn_batch_size);
      supernet::TopOneAccuracy([&](const torch::Tensor& x) { return t.supernet()->forward(x); }, t.validation_set(),
                               config.resolution, search);
    });
  }
}

// Trains the bench config with channels-last activations or not; then measures evaluation
// eagerly in that layout (NCHW: the old path) or frozen (channels-last: the new path).
Figures Measure(bool channels_last, int threads, int steps) {
  const std::string dir = std::filesystem::temp_directory_path().string() + "/kilonas_supernet_bench";
  std::filesystem::remove_all(dir);
  auto trainer = supernet::Trainer::Create(BenchConfig(threads, steps, dir), false);
  if (!trainer.ok()) {
    std::fprintf(stderr, "supernet_bench: %s\n", trainer.error().message.c_str());
    std::exit(1);
  }
  supernet::Trainer& t = *trainer.value();
  t.supernet()->channels_last = channels_last;
  if (core::Status s = t.Run(); !s.ok()) {
    std::fprintf(stderr, "supernet_bench: %s\n", s.message().c_str());
    std::exit(1);
  }
  Figures f;
  for (const supernet::EpochReport& r : t.history()) {  // mean over the two epochs of each phase
    if (r.phase == 1) f.largest_images_per_s += r.images_per_second / 2;
    if (r.phase == 2) f.sandwich_images_per_s += r.images_per_second / 2;
  }
  MeasureEvaluation(t, /*frozen=*/channels_last, f);
  std::filesystem::remove_all(dir);
  return f;
}

// The largest subnet (r32) as a plain GraphModule: training images/s (SGD as the trainer's, two
// epochs of `steps` batches after a warm-up epoch) and evaluation subnets/min.
std::pair<double, double> MeasurePlainModule(int threads, int steps) {
  const std::string dir = std::filesystem::temp_directory_path().string() + "/kilonas_supernet_bench_plain";
  auto trainer = supernet::Trainer::Create(BenchConfig(threads, steps, dir), false);
  if (!trainer.ok()) {
    std::fprintf(stderr, "supernet_bench: %s\n", trainer.error().message.c_str());
    std::exit(1);
  }
  const supernet::Trainer& t = *trainer.value();
  const core::SubnetConfig largest = core::LargestSubnet(t.space());
  supernet::GraphModule net(core::BuildSubnetGraph(t.space(), largest).value());
  torch::optim::SGD sgd(net->parameters(),
                        torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(3e-5).nesterov(true));
  const supernet::ImageSet& train = t.train_set();
  auto batch_input = [&](int step, torch::Tensor* labels) {
    std::vector<int64_t> indices(128);
    std::iota(indices.begin(), indices.end(), static_cast<int64_t>(step) * 128);
    *labels = supernet::LabelsTensor(train, indices);
    return supernet::ToInput(train, indices, largest.resolution);
  };
  auto train_epoch = [&] {
    net->train();
    for (int step = 0; step < steps; ++step) {
      torch::Tensor labels;
      const torch::Tensor x = batch_input(step, &labels);
      for (torch::Tensor& p : net->parameters()) p.mutable_grad().reset();
      torch::nn::functional::cross_entropy(net->forward(x), labels).backward();
      sgd.step();
    }
  };
  train_epoch();  // warm-up
  const auto start = Clock::now();
  for (int epoch = 0; epoch < 2; ++epoch) train_epoch();
  const double images_per_s = 2.0 * steps * 128 / Seconds(start);
  supernet::EvalOptions search;
  search.max_images = 1000;
  const double subnets_per_min = SubnetsPerMinute([&] {
    net->train();
    torch::NoGradGuard no_grad;
    for (int step = 0; step < 2; ++step) {
      torch::Tensor labels;
      net->forward(batch_input(step, &labels));
    }
    net->eval();
    supernet::TopOneAccuracy([&](const torch::Tensor& x) { return net->forward(x); }, t.validation_set(),
                             largest.resolution, search);
  });
  std::filesystem::remove_all(dir);
  return {images_per_s, subnets_per_min};
}

double Relu6Milliseconds(bool hardtanh) {
  const torch::Tensor x = torch::randn({128, 96, 16, 16}, torch::requires_grad());
  auto step = [&] {
    const torch::Tensor y = hardtanh ? torch::hardtanh(x, 0.0, 6.0) : torch::clamp(x, 0.0, 6.0);
    y.sum().backward();
  };
  for (int i = 0; i < 3; ++i) step();
  const int runs = 20;
  const auto start = Clock::now();
  for (int i = 0; i < runs; ++i) step();
  return 1000.0 * Seconds(start) / runs;
}

}  // namespace

int BenchMain(int argc, char** argv) {
  CLI::App app{"Supernet training and evaluation throughput: NCHW vs channels-last"};
  int threads = 2, steps = 10;
  app.add_option("--threads", threads, "LibTorch intra-op threads")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--steps", steps, "training steps (batch 128) per epoch")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  KILONAS_PARSE(app, argc, argv);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  std::printf(
      "supernet_bench: fmnist space, %d threads (OpenMP wait policy %s), batch 128, %d steps per epoch, "
      "Fashion-MNIST data\n",
      threads, policy != nullptr ? policy : "unset", steps);
  std::fflush(stdout);
  const Figures nchw = Measure(false, threads, steps);
  const Figures last = Measure(true, threads, steps);
  std::printf("%-40s %12s %14s %8s\n", "", "before", "after", "ratio");
  std::printf("(before: NCHW activations, eager elastic evaluation; after: channels-last, frozen evaluation)\n");
  auto row = [](const char* name, double a, double b) {
    std::printf("%-40s %12.1f %14.1f %7.2fx\n", name, a, b, b / a);
  };
  row("train, largest step (images/s)", nchw.largest_images_per_s, last.largest_images_per_s);
  row("train, sandwich step (images/s)", nchw.sandwich_images_per_s, last.sandwich_images_per_s);
  row("evaluate largest r32 (subnets/min)", nchw.largest_subnets_per_min, last.largest_subnets_per_min);
  row("evaluate smallest r32 (subnets/min)", nchw.smallest_subnets_per_min, last.smallest_subnets_per_min);
  const auto [plain_train, plain_eval] = MeasurePlainModule(threads, steps);
  std::printf("plain static module of the largest subnet (reference): train %.1f images/s, evaluate %.1f subnets/min\n",
              plain_train, plain_eval);
  const double clamp = Relu6Milliseconds(false), hardtanh = Relu6Milliseconds(true);
  std::printf("ReLU6 forward+backward [128,96,16,16]: clamp %.2f ms, hardtanh %.2f ms (%.2fx)\n", clamp, hardtanh,
              clamp / hardtanh);
  return 0;
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("supernet_bench", argc, argv, BenchMain); }
