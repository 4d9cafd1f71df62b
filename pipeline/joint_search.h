// nas_search --train-sram-kb: the architecture searched together with its on-device update
// scheme. After the evolution (inference budgets, supernet accuracy), its best distinct subnets
// (the finalists) are each quantized and given the scheme that fits the training budget on a
// transfer data set (budget_scheme.h: contribution analysis, scheme search, measured finalists);
// the finalist whose fine-tune reaches the best validation accuracy on the transfer set becomes
// the winner, exported with its scheme. The evolution's own winner (the first finalist) is what
// "search for inference, then search a scheme" would deploy: the table sets the two side by side.
#pragma once

#include <string>
#include <vector>

#include "core/hw_profile.h"
#include "ondevice/update_scheme.h"
#include "search/evolution.h"
#include "supernet/evaluate.h"
#include "supernet/trainer.h"

namespace kilonas::pipeline {

struct TrainingBudget {
  double sram_kb = 0;        // 0: no joint search
  std::string data;          // the transfer data set (the formats of --data)
  bool reinit_head = false;  // new classes: each finalist's classifier re-initialised
  int finalists = 3;         // the evolution's best distinct subnets priced
  int steps = 1000;          // SGD steps of the final fine-tunes (batch 1)
  int analysis_steps = 300;  // of each contribution-analysis run
  double learning_rate = 0.01;
  int64_t eval_images = 1000;  // validation images per fine-tune
  uint32_t seed = 1;
};

struct TrainingFinalist {
  core::SubnetConfig config;
  double inference_accuracy = 0;  // the evolution's (supernet, validation subset)
  std::string refused;            // why it cannot train under the budget ("" where it can)
  ondevice::UpdateScheme scheme;  // the scheme chosen for it
  int64_t step_bytes = 0;
  double transfer_validation = 0;  // after the fine-tune with its scheme
  double transfer_test = -1;       // the same fine-tune on the test split (winner and first finalist)
};

struct JointChoice {
  std::vector<TrainingFinalist> finalists;  // in the evolution's order
  int winner = -1;                          // the best transfer_validation among those that train
};

// The finalists of `population` (best first) priced for training; an error where none can train
// under the budget. Each finalist's analysis is cached under `cache_dir`.
core::Result<JointChoice> ChooseForTraining(supernet::Trainer& net, const std::vector<search::Candidate>& population,
                                            const TrainingBudget& budget, const supernet::EvalOptions& bn,
                                            int calibration_images, const std::string& cache_dir);

// After the winner's export: its scheme written to `dir`/scheme.json (naming `model_path`), and
// with `firmware` the exported model trains a few transfer samples in the profile's training
// firmware in QEMU beside the host (an error unless bit-exact). Returns the lines to print.
core::Result<std::string> WriteWinnerScheme(const supernet::Trainer& net, const JointChoice& choice,
                                            const TrainingBudget& budget, const std::string& model_path,
                                            const core::HwProfile& hw, bool firmware, const std::string& dir,
                                            const std::string& source_root);

// The finalists as a Markdown table (what report.md's reader wants beside the search's table).
std::string JointChoiceTable(const JointChoice& choice, const TrainingBudget& budget);

}  // namespace kilonas::pipeline
