#include "supernet/train_loop.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <thread>

#include "core/logging.h"

namespace kilonas::supernet {

int SetTrainingThreads(int requested) {
  const int cores = static_cast<int>(std::thread::hardware_concurrency());
  int threads = requested;
  if (cores > 0 && requested > cores) {
    core::Logger()->warn(
        "{} threads asked for, this machine has {} cores: using {} (oversubscribed threads slow "
        "LibTorch down many times over)",
        requested, cores, cores);
    threads = cores;
  }
  torch::set_num_threads(threads);
  return threads;
}

std::vector<int64_t> EpochOrder(size_t n, std::mt19937& rng, int limit) {
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(EpochImages(n, limit));
  return order;
}

size_t EpochImages(size_t n, int limit) { return limit > 0 ? std::min(n, static_cast<size_t>(limit)) : n; }

int64_t TrainingSteps(size_t n, const TrainConfig& config) {
  int64_t epochs = 0;
  for (const Phase& phase : config.phases) epochs += phase.epochs;
  return epochs * static_cast<int64_t>(EpochImages(n, config.train_images) / static_cast<size_t>(config.batch_size));
}

double CosineRate(double base, double progress) { return 0.5 * base * (1.0 + std::cos(M_PI * progress)); }

std::unique_ptr<Sgd> MakeSgd(const std::vector<torch::Tensor>& parameters, double rate, const TrainConfig& config) {
  return std::make_unique<Sgd>(parameters, SgdOptions{rate, config.momentum, config.weight_decay, config.momentum > 0});
}

}  // namespace kilonas::supernet
