// Accuracy predictor (OFA): a SubnetConfig encoded one-hot (resolution, width, each stage's
// depth, each block slot's kernel and expand, zero for absent blocks) regressed by an MLP onto
// the supernet's validation accuracy of sampled subnets. A prediction costs microseconds, so an
// evolution can score far more candidates than the supernet could evaluate.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/ofa_space.h"

namespace kilonas::supernet {

class AccuracyPredictor {
 public:
  explicit AccuracyPredictor(const core::OfaSpace& space, int hidden = 128, uint64_t seed = 1);

  std::vector<float> Encode(const core::SubnetConfig& config) const;
  // Adam on the mean squared error of standardised targets, full batch; returns the RMSE (in
  // accuracy units) on the last 20% of the samples, held out.
  double Fit(const std::vector<core::SubnetConfig>& configs, const std::vector<double>& accuracies, int epochs = 600);
  double Predict(const core::SubnetConfig& config);
  int features() const { return features_; }

 private:
  core::OfaSpace space_;
  int features_ = 0;
  torch::nn::Sequential mlp_{nullptr};
  double mean_ = 0, scale_ = 1;  // targets are standardised for training
};

}  // namespace kilonas::supernet
