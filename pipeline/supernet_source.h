// Where a tool's supernet comes from: a training config with the command line's overrides (data
// set, space, checkpoint directory, threads), and for a search the trained supernet itself.
#pragma once

#include <memory>
#include <string>

#include "core/dir_lock.h"
#include "core/status.h"
#include "data/dataset.h"
#include "supernet/train_config.h"
#include "supernet/trainer.h"

namespace kilonas::pipeline {

struct SupernetChoice {
  std::string config_path;  // configs/supernet_*.json
  // Overrides of the config; empty (0) keeps the config's.
  std::string checkpoint_dir, data, space;
  int threads = 0;
  std::string device;  // training device: cpu, cuda, cuda:N
  // checkpoint_dir is the user's own choice (a flag), not a default from a config: used as is.
  bool checkpoint_dir_chosen = true;
};

// A config's data set overridden (`data` differs from the config's) without a checkpoint
// directory the user chose trains into <default checkpoint dir>-<data set label> (PerDataSet),
// so that a second data set never loads or overwrites the first one's supernet.
core::Result<supernet::TrainConfig> TrainConfigFor(const SupernetChoice& choice);

// What every rank of a distributed run must agree on, for Collective::CheckSameRun: the
// supernet config file's text, the data set and the space (a space file's text too).
std::string RunIdentity(const SupernetChoice& choice, const supernet::TrainConfig& config);

// `dir` made specific to the data set `data`: "<dir>-<data::DataSetLabel(data)>".
std::string PerDataSet(const std::string& dir, const std::string& data);

// The trained supernet a search runs on: its checkpoint loaded, an unfinished training finished,
// or (no checkpoint) the config trained from scratch. `lock` (the writing rank's; null on the
// others) is a shared lock on the checkpoint directory held while this runs: a finished supernet
// is only read, so searches on it run side by side; training upgrades it to exclusive first.
// With `collective`, every rank calls this (an unfinished training runs data parallel).
core::Result<std::unique_ptr<supernet::Trainer>> ReadySupernet(const supernet::TrainConfig& config, core::DirLock* lock,
                                                               const std::string& tool,
                                                               std::shared_ptr<supernet::Collective> collective);

}  // namespace kilonas::pipeline
