// The pieces of an SGD training epoch that the supernet trainer and GraphModule training share,
// so that both follow one recipe: the seeded data order, the cosine learning rate, the optimiser.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "supernet/sgd.h"
#include "supernet/train_config.h"

namespace kilonas::supernet {

// The epoch's image order: a permutation of [0, n) drawn from `rng`, cut to `limit` (0: all).
std::vector<int64_t> EpochOrder(size_t n, std::mt19937& rng, int limit);
// Its length: the images one epoch sees.
size_t EpochImages(size_t n, int limit);
// Optimizer steps of the whole schedule on `n` training images (each epoch's whole batches).
int64_t TrainingSteps(size_t n, const TrainConfig& config);

// Cosine annealing from `base` at progress 0 to 0 at progress 1.
double CosineRate(double base, double progress);

// Sets LibTorch's thread count to `requested`, or to the machine's core count when that is less
// (with a warning: more threads than cores slow training down many times, not a little).
// Returns the count set.
int SetTrainingThreads(int requested);

// SGD with the config's momentum (Nesterov when > 0) and weight decay.
std::unique_ptr<Sgd> MakeSgd(const std::vector<torch::Tensor>& parameters, double rate, const TrainConfig& config);

}  // namespace kilonas::supernet
