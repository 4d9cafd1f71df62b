// nas_search's pipeline after the command line: a saved search state resumed when it belongs to
// the same request, TinyNAS stage 1 (the sub-space with the most fitting MACs), stage 2 (evolution
// with supernet accuracy, or the accuracy predictor), or instead the scaled-MobileNetV2 baseline
// or the fitness-fidelity table; then the winner quantized, exported to firmware and run in QEMU,
// measured on the test split, and the output directory written. Progress lines go to stdout and
// the log as it runs.
#pragma once

#include <string>

#include "core/hw_profile.h"
#include "latency_models/lut.h"
#include "memory_planner/flash.h"
#include "pipeline/search_report.h"
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
  bool restart = false;        // ignore a saved state
  bool firmware = true;        // build and run the winner's firmware
  bool baseline_mbv2 = false;  // the largest fitting scaled MobileNetV2 instead of a search
  int fidelity_subnets = 0;    // > 0: print the fitness-fidelity table instead of searching
  std::string source_root;     // the engine's sources, for the firmware
};

// The report of a finished search; with fidelity_subnets, an empty report after the table.
core::Result<SearchReport> RunSearch(const SearchRequest& request, supernet::Trainer& net,
                                     const latency_models::LatencyLut& lut, const memory_planner::CodeSize& code);

}  // namespace kilonas::pipeline
