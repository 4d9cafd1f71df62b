// SGD with momentum (optionally Nesterov) and weight decay, computing exactly what LibTorch 1.13's
// torch::optim::SGD computes (tested bit for bit), but holding its momentum buffers by parameter
// index: checkpoints save and restore them without LibTorch's internal state keys (tensor
// addresses formatted by c10::guts::to_string, an API later LibTorch versions removed).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace kilonas::supernet {

struct SgdOptions {
  double learning_rate = 0.1;
  double momentum = 0.9;
  double weight_decay = 0;
  bool nesterov = true;
};

class Sgd {
 public:
  Sgd(std::vector<torch::Tensor> parameters, SgdOptions options);

  // Updates every parameter with a defined gradient; others (and their momentum) are untouched.
  void Step();
  void SetLearningRate(double rate) { options_.learning_rate = rate; }
  // Resets every gradient to undefined (PyTorch's zero_grad(set_to_none=True)).
  void ClearGradients();

  // Momentum buffer of parameter i; undefined until the parameter's first step.
  const std::vector<torch::Tensor>& momentum() const { return momentum_; }
  void SetMomentum(size_t i, torch::Tensor buffer) { momentum_.at(i) = std::move(buffer); }
  // Moves the momentum buffers to where the parameters now are (after Module::to).
  void MoveMomentumTo(const torch::Device& device);

 private:
  std::vector<torch::Tensor> parameters_;
  std::vector<torch::Tensor> momentum_;
  SgdOptions options_;
};

}  // namespace kilonas::supernet
