#include "supernet/sgd.h"

namespace kilonas::supernet {

Sgd::Sgd(std::vector<torch::Tensor> parameters, SgdOptions options)
    : parameters_(std::move(parameters)), momentum_(parameters_.size()), options_(options) {}

void Sgd::Step() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < parameters_.size(); ++i) {
    torch::Tensor& p = parameters_[i];
    if (!p.grad().defined()) continue;
    torch::Tensor d_p = p.grad().data();
    if (options_.weight_decay != 0) d_p = d_p.add(p.data(), options_.weight_decay);
    if (options_.momentum != 0) {
      torch::Tensor& buffer = momentum_[i];
      if (!buffer.defined()) {
        buffer = torch::clone(d_p).detach();
      } else {
        buffer.mul_(options_.momentum).add_(d_p, 1.0);
      }
      d_p = options_.nesterov ? d_p.add(buffer, options_.momentum) : buffer;
    }
    p.data().add_(d_p, -options_.learning_rate);
  }
}

void Sgd::ClearGradients() {
  for (torch::Tensor& p : parameters_) p.mutable_grad().reset();
}

void Sgd::MoveMomentumTo(const torch::Device& device) {
  for (torch::Tensor& m : momentum_) {
    if (m.defined()) m = m.to(device);
  }
}

}  // namespace kilonas::supernet
