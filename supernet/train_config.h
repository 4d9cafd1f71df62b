// Supernet training configuration (configs/supernet_*.json): data, optimisation, and the
// progressive-shrinking phases, each naming the dimensions that are elastic in it.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace kilonas::supernet {

enum class Elastic { kResolution, kKernel, kDepth, kExpand, kWidth };

struct Phase {
  std::string name;
  int epochs = 1;
  double learning_rate = 0.05;  // cosine-annealed to 0 within the phase
  std::vector<Elastic> elastic;
  // The largest subnet (the distillation teacher) sees every batch at the largest resolution
  // while the students keep the sampled one. The searched subnets are ranked and exported at
  // their own resolution, but the largest is only ever used at the top one, and with the
  // resolution sampled it trains there on a fifth of the steps.
  bool largest_at_max_resolution = false;
  bool Has(Elastic e) const;
};

struct TrainConfig {
  std::string space = "fmnist";
  std::string data = "/usr/share/datasets/fashion-mnist";  // data::LoadDataset's spec
  std::array<uint8_t, 3> background = {255, 255, 255};     // image folders: what transparency shows
  int validation_size = 10000;                             // images of the training split held out for validation
  int train_images = 0;                                    // images per epoch from the train split (0: all 50,000)
  int batch_size = 128;
  int threads = 2;
  // Where training runs: "cpu", or "cuda" / "cuda:N" where LibTorch has CUDA. Evaluation, search
  // and export run on the CPU (the network is moved back after training).
  std::string device = "cpu";
  // One process trains with the synchronized batch-norm layer that several ranks use, instead of
  // LibTorch's fused kernel (1.4x faster on 2 CPU threads): its steps then equal those of any number of ranks to
  // float rounding (docs/distributed.md). Several ranks always synchronize.
  bool synchronized_batch_norm = false;
  uint64_t seed = 1;
  double momentum = 0.9;
  double weight_decay = 3e-5;
  int sandwich_random_subnets = 2;  // besides the largest and the smallest, per step
  double distill_weight = 1.0;      // in-place distillation from the largest subnet
  double distill_temperature = 1.0;
  int augment_shift = 2;  // random translation, pixels
  bool augment_flip = true;
  // Random erasing (Zhong et al. 2017): with this probability per image, a rectangle of 2-40%
  // of the area, aspect 0.3-3.3, is filled with random pixel values. 0: off.
  double augment_erase = 0;
  int bn_recalibration_batches = 5;
  int progress_every_steps = 50;
  std::string checkpoint_dir = "out/supernet";
  std::string recipe_path;  // the config file it was read from (for the log), "" when built in code
  std::vector<Phase> phases;
};

// "cpu", "cuda" or "cuda:N": what the device key and --device accept.
bool IsDeviceName(const std::string& name);

core::Result<TrainConfig> ParseTrainConfig(const std::string& text, const std::string& source);
core::Result<TrainConfig> LoadTrainConfig(const std::string& path);

}  // namespace kilonas::supernet
