// nas_search's pipeline after the command line: a saved search state resumed when it belongs to
// the same request, TinyNAS stage 1 (the sub-space with the most fitting MACs), stage 2 (evolution
// with supernet accuracy, or the accuracy predictor), or instead the scaled-MobileNetV2 baseline
// or the plain-CNN baseline, or the fitness-fidelity table; then the winner quantized, exported to firmware and run in
// QEMU, measured on the test split, and the output directory written. Progress lines go to stdout and the log as it
// runs.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "core/hw_profile.h"
#include "latency_models/lut.h"
#include "memory_planner/flash.h"
#include "pipeline/joint_search.h"
#include "report/search_report.h"
#include "search/search_config.h"
#include "supernet/trainer.h"

namespace kilonas::pipeline {

struct SearchRequest {
  core::HwProfile hw;
  search::SearchConfig config;
  search::Budgets budgets;
  std::string out_dir;
  // What else a saved state must have been made with to be resumed (the supernet's data and
  // space when the command line replaced the config's).
  std::string fingerprint_extra;
  bool restart = false;  // ignore a saved state
  bool firmware = true;  // build and run the winner's firmware
  // Instead of a search: "mbv2", the scaled MobileNetV2 of the space with the most MACs that fits
  // (supernet weights); "cnn", the plain CNN with the most MACs that fits (core/plain_cnn.h),
  // trained from scratch for baseline_epochs from baseline_lr.
  std::string baseline;
  int baseline_epochs = 10;
  double baseline_lr = 0.05;
  int fidelity_subnets = 0;  // > 0: print the fitness-fidelity table instead of searching
  // > 0: the winner trained on its own for this many epochs before quantization (MCUNet's
  // fine-tuning; supernet/graph_training.h), from finetune_lr cosine-annealed to 0.
  int finetune_epochs = 0;
  double finetune_lr = 0.01;
  std::string source_root;  // the engine's sources, for the firmware
  // Distributed search (null: one process): every rank runs the same search, the supernet
  // evaluations of each batch of candidates are split over the ranks and gathered, and rank 0
  // alone keeps the state and exports; the other ranks return after the evolution.
  std::shared_ptr<supernet::Collective> collective;
  // Instead of a search: this subnet (a model of the zoo, models/), checked against the budgets,
  // then exported like a winner (fine-tuned with finetune_epochs).
  std::optional<core::SubnetConfig> subnet;
  // With sram_kb: the winner chosen among the evolution's finalists by the accuracy its
  // on-device fine-tune reaches under the training budget (joint_search.h), exported with its
  // scheme (out_dir/training/).
  TrainingBudget training;
};

// The report of a finished search; with fidelity_subnets, an empty report after the table.
// What a saved search state must match, and every rank of a distributed search agree on: the
// search config, the board and budgets, and the request's extras (data set, space).
std::string SearchFingerprint(const SearchRequest& r);

core::Result<report::SearchReport> RunSearch(const SearchRequest& request, supernet::Trainer& net,
                                             const latency_models::LatencyLut& lut,
                                             const memory_planner::CodeSize& code);

}  // namespace kilonas::pipeline
