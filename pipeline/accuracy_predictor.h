// Accuracy predictor (OFA): a SubnetConfig encoded one-hot (resolution, width, each stage's
// depth, each block slot's kernel and expand, zero for absent blocks) regressed by an MLP onto
// the supernet's validation accuracy of sampled subnets. A prediction costs microseconds, so an
// evolution can score far more candidates than the supernet could evaluate.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "core/ofa_space.h"
#include "search/surrogate.h"

namespace kilonas::pipeline {

class AccuracyPredictor : public search::Surrogate {
 public:
  explicit AccuracyPredictor(const core::OfaSpace& space, int hidden = 128, uint64_t seed = 1);

  std::vector<float> Encode(const core::SubnetConfig& config) const;
  // Adam on the mean squared error of standardised targets, full batch, from freshly initialised
  // weights (a refit does not depend on an earlier fit). search::FitSurrogate holds samples out.
  void Fit(const std::vector<core::SubnetConfig>& configs, const std::vector<double>& accuracies) override;
  double Predict(const core::SubnetConfig& config) override;
  int features() const { return features_; }

 private:
  core::OfaSpace space_;
  int features_ = 0;
  torch::nn::Sequential NewMlp() const;

  int hidden_ = 128;
  uint64_t seed_ = 1;
  int epochs_ = 600;
  torch::nn::Sequential mlp_{nullptr};
  double mean_ = 0, scale_ = 1;  // targets are standardised for training
};

}  // namespace kilonas::pipeline
