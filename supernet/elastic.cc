#include "supernet/elastic.h"

#include <algorithm>

#include "supernet/distributed.h"

namespace kilonas::supernet {
namespace F = torch::nn::functional;

torch::Tensor Relu6(const torch::Tensor& x) { return torch::hardtanh(x, 0.0, 6.0); }

torch::Tensor ChannelsLast(const torch::Tensor& t) {
  return torch::empty(t.sizes(), t.options().memory_format(torch::MemoryFormat::ChannelsLast)).copy_(t);
}

torch::Tensor InLayoutOf(const torch::Tensor& x, const torch::Tensor& w) {
  return x.suggest_memory_format() == torch::MemoryFormat::ChannelsLast ? ChannelsLast(w) : w;
}

ElasticConvImpl::ElasticConvImpl(int in_channels, int max_out, int k, int s) : kernel(k), stride(s) {
  weight = register_parameter("weight", torch::empty({max_out, in_channels, k, k}));
  torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut);
}

torch::Tensor ElasticConvImpl::Weight(int out_channels, int in_channels) const {
  return weight.slice(0, 0, out_channels).slice(1, 0, in_channels);
}

torch::Tensor ElasticConvImpl::forward(const torch::Tensor& x, int out_channels) {
  return F::conv2d(x, InLayoutOf(x, Weight(out_channels, static_cast<int>(x.size(1)))),
                   F::Conv2dFuncOptions().stride(stride).padding(kernel / 2));
}

ElasticPointwiseImpl::ElasticPointwiseImpl(int max_in, int max_out) {
  weight = register_parameter("weight", torch::empty({max_out, max_in, 1, 1}));
  torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut);
}

torch::Tensor ElasticPointwiseImpl::Weight(int out_channels, int in_channels) const {
  return weight.slice(0, 0, out_channels).slice(1, 0, in_channels);
}

torch::Tensor ElasticPointwiseImpl::forward(const torch::Tensor& x, int out_channels) {
  return F::conv2d(x, InLayoutOf(x, Weight(out_channels, static_cast<int>(x.size(1)))));
}

ElasticDepthwiseImpl::ElasticDepthwiseImpl(int max_channels, std::vector<int> ks) : kernels(std::move(ks)) {
  std::sort(kernels.begin(), kernels.end());
  const int kmax = kernels.back();
  weight = register_parameter("weight", torch::empty({max_channels, 1, kmax, kmax}));
  torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut);
  for (size_t i = 0; i + 1 < kernels.size(); ++i) {
    const int k = kernels[i];
    transforms.push_back(register_parameter("transform_" + std::to_string(k), torch::eye(k * k)));
  }
}

torch::Tensor ElasticDepthwiseImpl::Kernel(int k, int channels) const {
  torch::Tensor w = weight.slice(0, 0, channels);
  // From the largest kernel down: centre crop to the next size, then that size's transform.
  for (int i = static_cast<int>(kernels.size()) - 2; i >= 0 && kernels[i] >= k; --i) {
    const int size = kernels[i];
    const int start = (static_cast<int>(w.size(2)) - size) / 2;
    torch::Tensor crop = w.slice(2, start, start + size).slice(3, start, start + size);
    w = torch::matmul(crop.reshape({channels, size * size}), transforms[i]).reshape({channels, 1, size, size});
  }
  return w;
}

torch::Tensor ElasticDepthwiseImpl::forward(const torch::Tensor& x, int k, int s) {
  const int channels = static_cast<int>(x.size(1));
  return F::conv2d(x, InLayoutOf(x, Kernel(k, channels)),
                   F::Conv2dFuncOptions().stride(s).padding(k / 2).groups(channels));
}

ElasticBatchNormImpl::ElasticBatchNormImpl(int max_channels) {
  weight = register_parameter("weight", torch::ones({max_channels}));
  bias = register_parameter("bias", torch::zeros({max_channels}));
  running_mean = register_buffer("running_mean", torch::zeros({max_channels}));
  running_var = register_buffer("running_var", torch::ones({max_channels}));
}

torch::Tensor ElasticBatchNormImpl::forward(const torch::Tensor& x) {
  const int64_t c = x.size(1);
  if (is_training() && sync != nullptr) return SynchronizedForward(x);
  // Slices are views: in training the first c running statistics are updated in place.
  return F::batch_norm(x, running_mean.slice(0, 0, c), running_var.slice(0, 0, c),
                       F::BatchNormFuncOptions()
                           .weight(weight.slice(0, 0, c))
                           .bias(bias.slice(0, 0, c))
                           .training(is_training())
                           .momentum(momentum)
                           .eps(eps));
}

// Batch statistics over every rank: the per-channel sum and the element count are summed over
// the ranks for the mean, then the sum of squared deviations from it for the variance (two
// passes, as LibTorch's kernel: E[x^2] - E[x]^2 loses digits, and its gradient loses them
// again where a channel's mean is much larger than its spread). The sums are in double, so the
// float mean and variance do not depend on how the batch was cut: x - mean is then the same
// on any number of ranks even for a nearly constant channel, whose rounding noise the
// normalisation would otherwise amplify by up to 1/sqrt(eps). The gradient flows back through
// both sums (AllReduceSumAutograd). Running statistics as F::batch_norm keeps them: the mean,
// and the unbiased variance of the whole batch.
torch::Tensor ElasticBatchNormImpl::SynchronizedForward(const torch::Tensor& x) {
  const int64_t c = x.size(1);
  const std::vector<int64_t> dims = {0, 2, 3};
  const std::vector<int64_t> shape = {1, c, 1, 1};
  const torch::Tensor sums =
      AllReduceSumAutograd(torch::cat({x.sum(dims, false, torch::kFloat64),
                                       torch::full({1}, static_cast<double>(x.numel() / c), torch::kFloat64)}),
                           sync);
  const double count = sums[c].item<double>();
  const torch::Tensor mean = (sums.slice(0, 0, c) / count).to(torch::kFloat32);
  const torch::Tensor centered = x - mean.view(shape);
  const torch::Tensor var =
      (AllReduceSumAutograd((centered * centered).sum(dims, false, torch::kFloat64), sync) / count).to(torch::kFloat32);
  {
    torch::NoGradGuard no_grad;
    running_mean.slice(0, 0, c).mul_(1 - momentum).add_(mean, momentum);
    running_var.slice(0, 0, c)
        .mul_(1 - momentum)
        .add_(var * static_cast<float>(count / std::max(1.0, count - 1)), momentum);
  }
  const torch::Tensor scale = torch::rsqrt(var + eps) * weight.slice(0, 0, c);
  return centered * scale.view(shape) + bias.slice(0, 0, c).view(shape);
}

void SynchronizeBatchNorm(torch::nn::Module& net, Collective* collective) {
  for (const std::shared_ptr<torch::nn::Module>& module : net.modules()) {
    if (auto bn = std::dynamic_pointer_cast<ElasticBatchNormImpl>(module)) bn->sync = collective;
  }
}

ElasticLinearImpl::ElasticLinearImpl(int max_in, int out) {
  weight = register_parameter("weight", torch::empty({out, max_in}));
  bias = register_parameter("bias", torch::zeros({out}));
  torch::nn::init::normal_(weight, 0.0, 0.01);
}

torch::Tensor ElasticLinearImpl::forward(const torch::Tensor& x) {
  return F::linear(x, weight.slice(1, 0, x.size(1)), bias);
}

}  // namespace kilonas::supernet
