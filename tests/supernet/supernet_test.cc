#include "supernet/supernet.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <set>

#include "data/dataset.h"
#include "supernet/evaluate.h"
#include "supernet/extract.h"
#include "supernet/input.h"
#include "supernet/static_subnet.h"

namespace kilonas::supernet {
namespace {

// Trained-looking statistics: random BN so that extraction of BN parameters is exercised.
void RandomizeBatchNorm(Supernet& net, std::mt19937& rng) {
  torch::manual_seed(rng());
  torch::NoGradGuard no_grad;
  for (auto& item : net->named_buffers()) {
    if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 1.5);
    if (item.key().find("running_mean") != std::string::npos) item.value().uniform_(-0.2, 0.2);
  }
  for (auto& item : net->named_parameters()) {
    if (item.key().find("transform") != std::string::npos) item.value().add_(torch::randn_like(item.value()) * 0.05);
  }
}

// Fashion-MNIST's train and validation splits from the Debian package, normalised with the
// training split's statistics; nullopt (after a test failure) if missing.
std::optional<std::pair<ImageSet, ImageSet>> LoadedTrainAndValidation() {
  core::Result<data::Dataset> set = data::LoadDataset(data::kDefaultDataSpec);
  if (!set.ok()) return ADD_FAILURE() << set.error().message, std::nullopt;
  return std::make_pair(std::move(set.value().train), std::move(set.value().validation));
}

TEST(ExtractSubnet, EngineFloatForwardEqualsTheSupernetForRandomSubnets) {
  const core::OfaSpace space = core::FashionMnistSpace();
  torch::manual_seed(3);
  Supernet net(space);
  std::mt19937 rng(5);
  RandomizeBatchNorm(net, rng);
  net->eval();
  for (int trial = 0; trial < 8; ++trial) {
    const core::SubnetConfig config = core::SampleSubnet(space, rng);
    core::Result<core::FloatModel> model = ExtractSubnet(net, config);
    ASSERT_TRUE(model.ok()) << model.error().message;
    const torch::Tensor x = torch::randn({1, 1, config.resolution, config.resolution});
    const torch::Tensor expected = net->forward(x).squeeze(0);
    const std::vector<float> got = core::RunFloat(model.value(), ToEngineInput(x))[model.value().graph.output()];
    ASSERT_EQ(got.size(), 10u);
    for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i].item<float>(), 1e-3) << "trial " << trial;
  }
}

// The layout is an implementation choice: channels-last activations compute the same function
// and the same parameter gradients as NCHW (to float rounding) on random subnets, in training
// mode (batch statistics) and in eval mode.
TEST(Supernet, ChannelsLastComputesWhatNchwComputes) {
  const core::OfaSpace space = core::FashionMnistSpace();
  torch::manual_seed(4);
  Supernet net(space);
  std::mt19937 rng(6);
  RandomizeBatchNorm(net, rng);
  for (int trial = 0; trial < 6; ++trial) {
    const core::SubnetConfig config = core::SampleSubnet(space, rng);
    ASSERT_TRUE(net->SetActive(config).ok());
    const torch::Tensor x = torch::randn({8, 1, config.resolution, config.resolution});
    std::vector<torch::Tensor> outputs, gradients;
    for (bool channels_last : {false, true}) {
      net->channels_last = channels_last;
      trial % 2 ? net->eval() : net->train();
      for (torch::Tensor& p : net->parameters()) p.mutable_grad().reset();
      torch::Tensor out = net->forward(x);
      out.pow(2).sum().backward();
      outputs.push_back(out.detach());
      gradients.push_back(net->stem->weight.grad().clone());
      gradients.push_back(net->blocks[3]->dw->weight.grad().defined() ? net->blocks[3]->dw->weight.grad().clone()
                                                                      : torch::zeros({1}));
    }
    EXPECT_TRUE(torch::allclose(outputs[0], outputs[1], 1e-4, 1e-4)) << "trial " << trial;
    EXPECT_TRUE(torch::allclose(gradients[0], gradients[2], 1e-3, 1e-3)) << "stem gradient, trial " << trial;
    EXPECT_TRUE(torch::allclose(gradients[1], gradients[3], 1e-3, 1e-3)) << "depthwise gradient, trial " << trial;
  }
  // NCHW input really reaches the convolutions in channels-last layout (the explicit copy).
  net->channels_last = true;
  const torch::Tensor x = ChannelsLast(torch::randn({2, 1, 32, 32}));
  EXPECT_EQ(x.suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
  EXPECT_EQ(InLayoutOf(x, net->blocks[1]->dw->weight).suggest_memory_format(), torch::MemoryFormat::ChannelsLast);
}

// Evaluation runs the frozen subnet (BN folded, static weights); it must give what the elastic
// supernet gives in eval mode: logits to float rounding, and the same top-1 accuracy on 2000 real
// validation images (0.01 points: at most a near-tie flips).
TEST(StaticSubnet, EvaluatesLikeTheElasticSupernet) {
  const core::OfaSpace space = core::FashionMnistSpace();
  const auto splits = LoadedTrainAndValidation();
  ASSERT_TRUE(splits);
  const ImageSet *train = &splits->first, *validation = &splits->second;
  torch::manual_seed(8);
  Supernet net(space);
  std::mt19937 rng(9);
  EvalOptions options;
  options.bn_batches = 2;
  options.bn_batch_size = 64;
  options.max_images = 2000;
  for (int trial = 0; trial < 3; ++trial) {
    const core::SubnetConfig config = core::SampleSubnet(space, rng);
    const double frozen = EvaluateSubnet(net, config, *train, *validation, options);
    const double elastic = TopOneAccuracy([&](const torch::Tensor& x) { return net->forward(x); }, *validation,
                                          config.resolution, options);
    EXPECT_NEAR(frozen, elastic, 1e-4) << "trial " << trial;
    const torch::Tensor x = ToInput(*validation, {0, 1, 2, 3}, config.resolution);
    const torch::Tensor expected = net->forward(x).detach();
    const torch::Tensor got = StaticSubnet(ExtractSubnet(net, config).value()).Forward(x);
    EXPECT_TRUE(torch::allclose(got, expected, 1e-3, 1e-3)) << "trial " << trial;
  }
}

TEST(ElasticDepthwise, SmallerKernelsAreTransformedCentresOfTheLargest) {
  ElasticDepthwise dw(4, std::vector<int>{3, 5, 7});
  // Identity transforms: the 3x3 kernel is exactly the centre of the 7x7 one.
  const torch::Tensor k3 = dw->Kernel(3, 4);
  EXPECT_TRUE(torch::allclose(k3, dw->weight.slice(2, 2, 5).slice(3, 2, 5)));
  torch::NoGradGuard no_grad;
  dw->transforms[0].mul_(2.0);  // the 3x3 transform
  EXPECT_TRUE(torch::allclose(dw->Kernel(3, 4), 2.0 * dw->weight.slice(2, 2, 5).slice(3, 2, 5)));
  EXPECT_TRUE(torch::allclose(dw->Kernel(5, 4), dw->weight.slice(2, 1, 6).slice(3, 1, 6)));
}

TEST(SortExpandedChannels, KeepsTheFunctionOfTheLargestSubnet) {
  const core::OfaSpace space = core::FashionMnistSpace();
  torch::manual_seed(4);
  Supernet net(space);
  std::mt19937 rng(9);
  RandomizeBatchNorm(net, rng);
  net->eval();
  const torch::Tensor x = torch::randn({2, 1, 32, 32});
  const torch::Tensor before = net->forward(x);
  net->SortExpandedChannels();
  EXPECT_TRUE(torch::allclose(net->forward(x), before, 1e-4, 1e-5));
}

}  // namespace
}  // namespace kilonas::supernet
