// Fitness fidelity: how well the search's fitness (supernet accuracy on a validation subset with
// batch norm recalibrated on a few training batches) ranks subnets like what is deployed (int8
// engine accuracy on the whole test set). Kendall tau between the two over sampled subnets, for
// the search's settings and cheaper or dearer alternatives, with the seconds per evaluation.
#pragma once

#include <functional>
#include <vector>

#include "supernet/evaluate.h"

namespace kilonas::pipeline {

struct FitnessSetting {
  int validation_images = 1000;
  int bn_batches = 2;
  int bn_batch_size = 128;
};

struct FidelityRow {
  FitnessSetting setting;
  double kendall_tau = 0;
  double seconds_per_evaluation = 0;
};

struct Fidelity {
  std::vector<FidelityRow> rows;  // one per setting
  std::vector<double> int8_test;  // per subnet
  double int8_seconds_per_subnet = 0;
};

// For each subnet: int8 accuracy on all of `test` (calibration_images, bn of settings[0]) and
// the fitness under every setting. `progress` (optional) sees each finished subnet index.
core::Result<Fidelity> MeasureFidelity(supernet::Supernet& net, const data::ImageSet& train,
                                       const data::ImageSet& validation, const data::ImageSet& test,
                                       const std::vector<core::SubnetConfig>& subnets,
                                       const std::vector<FitnessSetting>& settings, int calibration_images,
                                       const std::function<void(int)>& progress = nullptr);

}  // namespace kilonas::pipeline
