#include "pipeline/accuracy_predictor.h"

#include <algorithm>
#include <cmath>

namespace kilonas::pipeline {
namespace {

template <typename T>
int IndexOf(const std::vector<T>& values, T v) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::abs(static_cast<double>(values[i]) - static_cast<double>(v)) < 1e-9) return static_cast<int>(i);
  }
  return -1;
}

int MaxDepth(const core::OfaStageSpec& stage) {
  return *std::max_element(stage.depth_choices.begin(), stage.depth_choices.end());
}

}  // namespace

AccuracyPredictor::AccuracyPredictor(const core::OfaSpace& space, int hidden, uint64_t seed)
    : space_(space), hidden_(hidden), seed_(seed) {
  features_ = static_cast<int>(space.resolution_choices.size() + space.width_choices.size());
  for (const core::OfaStageSpec& stage : space.stages) {
    features_ += static_cast<int>(stage.depth_choices.size()) +
                 MaxDepth(stage) * static_cast<int>(space.kernel_choices.size() + space.expand_choices.size());
  }
  mlp_ = NewMlp();
}

torch::nn::Sequential AccuracyPredictor::NewMlp() const {
  torch::manual_seed(seed_);
  return torch::nn::Sequential(torch::nn::Linear(features_, hidden_), torch::nn::ReLU(),
                               torch::nn::Linear(hidden_, hidden_), torch::nn::ReLU(), torch::nn::Linear(hidden_, 1));
}

std::vector<float> AccuracyPredictor::Encode(const core::SubnetConfig& c) const {
  std::vector<float> f(static_cast<size_t>(features_), 0.0f);
  size_t at = 0;
  auto one_hot = [&](int index, size_t size) {
    if (index >= 0) f[at + static_cast<size_t>(index)] = 1.0f;
    at += size;
  };
  one_hot(IndexOf(space_.resolution_choices, c.resolution), space_.resolution_choices.size());
  one_hot(IndexOf(space_.width_choices, c.width_mult), space_.width_choices.size());
  for (size_t s = 0; s < space_.stages.size(); ++s) {
    const auto& blocks = s < c.stages.size() ? c.stages[s] : std::vector<core::BlockChoice>{};
    one_hot(IndexOf(space_.stages[s].depth_choices, static_cast<int>(blocks.size())),
            space_.stages[s].depth_choices.size());
    for (int b = 0; b < MaxDepth(space_.stages[s]); ++b) {
      const bool active = static_cast<size_t>(b) < blocks.size();
      one_hot(active ? IndexOf(space_.kernel_choices, blocks[b].kernel) : -1, space_.kernel_choices.size());
      one_hot(active ? IndexOf(space_.expand_choices, blocks[b].expand) : -1, space_.expand_choices.size());
    }
  }
  return f;
}

void AccuracyPredictor::Fit(const std::vector<core::SubnetConfig>& configs, const std::vector<double>& accuracies) {
  const int64_t n = static_cast<int64_t>(configs.size());
  if (n == 0) return;
  mean_ = 0;
  for (double a : accuracies) mean_ += a / static_cast<double>(n);
  double variance = 0;
  for (double a : accuracies) variance += (a - mean_) * (a - mean_) / static_cast<double>(n);
  scale_ = std::max(std::sqrt(variance), 1e-6);
  torch::Tensor x = torch::empty({n, features_});
  torch::Tensor y = torch::empty({n, 1});
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<float> f = Encode(configs[i]);
    x[i] = torch::from_blob(const_cast<float*>(f.data()), {features_}).clone();
    y[i][0] = static_cast<float>((accuracies[i] - mean_) / scale_);
  }
  mlp_ = NewMlp();
  torch::optim::Adam optimizer(mlp_->parameters(), torch::optim::AdamOptions(1e-3).weight_decay(1e-4));
  mlp_->train();
  for (int e = 0; e < epochs_; ++e) {
    optimizer.zero_grad();
    const torch::Tensor loss = torch::mse_loss(mlp_->forward(x), y);
    loss.backward();
    optimizer.step();
  }
  mlp_->eval();
}

double AccuracyPredictor::Predict(const core::SubnetConfig& config) {
  torch::NoGradGuard no_grad;
  const std::vector<float> f = Encode(config);
  const double predicted =
      mean_ + scale_ * mlp_->forward(torch::from_blob(const_cast<float*>(f.data()), {1, features_})).item<double>();
  return std::clamp(predicted, 0.0, 1.0);  // an accuracy, whatever the regression extrapolates
}

}  // namespace kilonas::pipeline
