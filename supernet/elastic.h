// Elastic LibTorch layers of the once-for-all supernet. Each holds the weights of its largest
// configuration and runs a smaller one by slicing (channels) or transforming (kernel size), as in
// OFA: a smaller depthwise kernel is the centre of the next larger one times a learned
// (k*k x k*k) matrix, initialised to identity; batch norm slices its statistics.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace kilonas::supernet {

class ElasticConvImpl : public torch::nn::Module {  // dense k x k conv (the stem)
 public:
  ElasticConvImpl(int in_channels, int max_out, int kernel, int stride);
  torch::Tensor forward(const torch::Tensor& x, int out_channels);
  torch::Tensor Weight(int out_channels, int in_channels) const;  // [out, in, k, k]
  int kernel, stride;
  torch::Tensor weight;
};
TORCH_MODULE(ElasticConv);

class ElasticPointwiseImpl : public torch::nn::Module {
 public:
  ElasticPointwiseImpl(int max_in, int max_out);
  torch::Tensor forward(const torch::Tensor& x, int out_channels);  // input channels: x.size(1)
  torch::Tensor Weight(int out_channels, int in_channels) const;    // [out, in, 1, 1]
  torch::Tensor weight;
};
TORCH_MODULE(ElasticPointwise);

class ElasticDepthwiseImpl : public torch::nn::Module {
 public:
  ElasticDepthwiseImpl(int max_channels, std::vector<int> kernels);
  torch::Tensor forward(const torch::Tensor& x, int kernel, int stride);
  torch::Tensor Kernel(int kernel, int channels) const;  // [channels, 1, k, k]
  std::vector<int> kernels;                              // ascending
  torch::Tensor weight;                                  // [max_channels, 1, kmax, kmax]
  std::vector<torch::Tensor> transforms;                 // per smaller kernel, ascending order
};
TORCH_MODULE(ElasticDepthwise);

class Collective;

class ElasticBatchNormImpl : public torch::nn::Module {
 public:
  explicit ElasticBatchNormImpl(int max_channels);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias, running_mean, running_var;
  double momentum = 0.1;  // BN recalibration sets 1 / (batch + 1): a cumulative average
  double eps = 1e-5;
  // Data-parallel training: batch statistics summed over every rank's shard (synchronized batch
  // norm), so N ranks normalise as one process with the whole batch would, with the same
  // arithmetic whatever N (a world of one included). Null: LibTorch's fused batch norm on this
  // batch (one process by default; evaluation, recalibration, fine-tuning).
  Collective* sync = nullptr;

 private:
  torch::Tensor SynchronizedForward(const torch::Tensor& x);
};
TORCH_MODULE(ElasticBatchNorm);

// Sets (or clears, with null) `sync` of every ElasticBatchNorm in `net`.
void SynchronizeBatchNorm(torch::nn::Module& net, Collective* collective);

class ElasticLinearImpl : public torch::nn::Module {
 public:
  ElasticLinearImpl(int max_in, int out);
  torch::Tensor forward(const torch::Tensor& x);
  torch::Tensor weight, bias;
};
TORCH_MODULE(ElasticLinear);

// ReLU6 as hardtanh(0, 6): one kernel forward and backward (clamp's backward is several), 5-20%
// faster per training step. Its gradient at exactly 0 and 6 differs from clamp's, so runs from
// before this choice do not continue bit for bit.
torch::Tensor Relu6(const torch::Tensor& x);

// A channels-last copy of `t` (autograd flows through it). Unlike .contiguous(ChannelsLast),
// which keeps the strides of a tensor whose channel dimension is 1 (the grayscale input,
// depthwise weights), it always sets channels-last strides, so oneDNN picks its NHWC kernels.
torch::Tensor ChannelsLast(const torch::Tensor& t);

// The weight `w` in the memory layout of the activations `x` it convolves.
torch::Tensor InLayoutOf(const torch::Tensor& x, const torch::Tensor& w);

}  // namespace kilonas::supernet
