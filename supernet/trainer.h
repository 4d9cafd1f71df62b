// Progressive-shrinking training of the supernet (OFA): phases from the largest network to every
// elastic dimension; each step follows the sandwich rule (largest, smallest and a few random
// subnets, gradients accumulated) with in-place distillation from the largest; SGD with a
// cosine schedule per phase. A checkpoint is written atomically after every epoch, and a
// resumed run continues bit for bit as the uninterrupted one would (per-epoch seeding).
// Data parallel over N ranks (Collective): every rank draws the same subnets and resolutions
// (one stream from the seed and the epoch) and trains them on its shard of each global batch
// (augmentation seeded per image position, batch norm synchronized over the ranks, each loss
// weighted by shard / batch); the gradients of the parameters the step used are summed over
// the ranks before the step, so N ranks compute what one process with the whole batch computes
// (to float rounding). Rank 0 writes the checkpoints; a resume may use another world size.
#pragma once

#include <functional>
#include <memory>
#include <random>

#include "data/dataset.h"
#include "supernet/distributed.h"
#include "supernet/input.h"
#include "supernet/sgd.h"
#include "supernet/supernet.h"
#include "supernet/train_config.h"

namespace kilonas::supernet {

struct EpochReport {
  int phase = 0, epoch = 0;           // epoch within the phase, from 1
  double loss = 0, accuracy = 0;      // of the largest subnet on the training batches
  double images_per_second = 0;       // training images through the largest subnet per second (all ranks)
  double reduced_bytes_per_step = 0;  // gradient (and batch-norm) bytes this rank all-reduced
};

class Trainer {
 public:
  // Loads the data set and, with `resume`, the last checkpoint in config.checkpoint_dir (whose
  // input normalisation then replaces the data set's). A space without num_classes takes the
  // data set's.
  // With `collective` (null: one process), every rank calls Create and Run in step; every rank
  // must be able to read the checkpoint it resumes from (rank 0's values are then broadcast).
  static core::Result<std::unique_ptr<Trainer>> Create(const TrainConfig& config, bool resume,
                                                       std::shared_ptr<Collective> collective = nullptr);

  // Trains until all phases are done or `max_epochs` more epochs ran (-1: no limit).
  core::Status Run(int max_epochs = -1);
  bool Done() const;

  Supernet& supernet() { return net_; }
  const TrainConfig& config() const { return config_; }
  const data::Dataset& data() const { return data_; }
  const ImageSet& train_set() const { return data_.train; }
  const ImageSet& validation_set() const { return data_.validation; }
  const ImageSet& test_set() const { return data_.test; }
  const core::OfaSpace& space() const { return space_; }
  const std::vector<EpochReport>& history() const { return history_; }
  const Collective& collective() const { return *collective_; }

  // The smallest / largest subnets of the space, and a random one with the phase's elastic
  // dimensions sampled and the others at their maximum.
  core::SubnetConfig Sample(const Phase& phase, std::mt19937& rng, int resolution) const;

 private:
  Trainer(TrainConfig config, core::OfaSpace space, data::Dataset data, std::shared_ptr<Collective> collective);
  core::Status SynchronizeRanks();
  core::Status RunEpochs(int max_epochs);
  core::Status CheckRanksAgree() const;
  // One step's inputs on the training device: at the step's resolution, and at the top one (the
  // teacher's when largest_at_max_resolution).
  struct StepBatch {
    int resolution = 0;
    torch::Tensor x, x_top, y;
  };
  // This rank's part of every global batch: contiguous, sizes differing by at most one; its
  // losses are weighted by its share of the batch.
  struct Shard {
    int begin = 0, size = 0;
    double weight = 1;
  };
  struct Totals {  // of an epoch's steps so far
    double loss_sum = 0, correct = 0, seen = 0;
  };
  EpochReport TrainEpoch(int phase_index, int epoch);
  void MoveForTraining(bool training);
  core::SubnetConfig SmallestOf(const Phase& phase) const;  // the phase's elastic dimensions at their minimum
  Shard ShardOfBatch() const;
  StepBatch PrepareBatch(const Phase& phase, const std::vector<int64_t>& order, int step, const Shard& shard,
                         int global_epoch, std::mt19937& resolution_rng) const;
  struct StepResult {
    torch::Tensor loss, logits;  // the largest subnet's
  };
  StepResult TrainStep(const Phase& phase, const StepBatch& batch, const core::SubnetConfig& smallest,
                       double shard_weight, std::mt19937& rng);
  Totals AllRanks(const Totals& mine) const;
  void ActivateSampled(const core::SubnetConfig& config);
  std::unique_ptr<Sgd> MakeOptimizer(const Phase& phase);
  core::Status SaveCheckpoint() const;
  core::Status LoadCheckpoint();

  TrainConfig config_;
  core::OfaSpace space_;
  std::string space_identity_;  // core::SpaceIdentity, in the checkpoint's manifest
  data::Dataset data_;
  Supernet net_;
  std::unique_ptr<Sgd> optimizer_;
  std::shared_ptr<Collective> collective_;
  torch::Device device_{torch::kCPU};  // training only; the network rests on the CPU
  int phase_ = 0;                      // current phase
  int epochs_done_ = 0;                // in the current phase
  std::vector<EpochReport> history_;
};

}  // namespace kilonas::supernet
