// nas_search configuration (configs/search_*.json): where the supernet comes from, stage 1 and
// stage 2 settings, how accuracy is measured, what is exported. Strict JSON.
#pragma once

#include <optional>
#include <string>

#include "core/status.h"
#include "search/evolution.h"

namespace kilonas::search {

struct SearchConfig {
  std::string supernet_config = "configs/supernet_fmnist_quick.json";
  std::string supernet_checkpoint_dir = "out/supernet/fmnist_quick";
  std::string execution_mode = "patch";  // planner mode whose peak SRAM must fit
  std::optional<double> latency_ms;      // budget unless --latency-ms overrides
  int stage1_samples = 50;
  EvolutionConfig evolution;
  uint64_t seed = 1;
  std::string accuracy_source = "supernet";  // or "predictor": an MLP fitted on sampled subnets
  int predictor_samples = 200;               // subnets measured with the supernet to fit it
  int predictor_remeasure_best = 3;          // best candidates measured with the supernet at the end
  int validation_images = 1000;              // per accuracy evaluation (fixed subset of the validation split)
  int bn_batches = 2;
  int bn_batch_size = 128;
  int calibration_images = 64;  // int8 export
  int test_images = 2000;       // int8 and float test accuracy of the winner
  std::string output_dir = "out/search";
};

core::Result<SearchConfig> ParseSearchConfig(const std::string& text, const std::string& source);
core::Result<SearchConfig> LoadSearchConfig(const std::string& path);
std::string SearchConfigToJson(const SearchConfig& config);

}  // namespace kilonas::search
