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
    core::Result<engine::FloatModel> model = ExtractSubnet(net, config);
    ASSERT_TRUE(model.ok()) << model.error().message;
    const torch::Tensor x = torch::randn({1, 1, config.resolution, config.resolution});
    const torch::Tensor expected = net->forward(x).squeeze(0);
    const std::vector<float> got = engine::RunFloat(model.value(), ToEngineInput(x))[model.value().graph.output()];
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

#include "supernet/accuracy_predictor.h"

namespace kilonas::supernet {
namespace {

TEST(AccuracyPredictor, LearnsASmoothFunctionOfTheArchitecture) {
  const core::OfaSpace space = core::FashionMnistSpace();
  std::mt19937 rng(3);
  auto target = [](const core::SubnetConfig& c) {              // more blocks, kernels, width, resolution: higher
    double score = 0.1 * c.width_mult + 0.004 * c.resolution;  // 0.28 .. 0.96: an accuracy
    for (const auto& stage : c.stages) {
      for (const core::BlockChoice& b : stage) score += 0.004 * b.kernel + 0.003 * b.expand;
    }
    return score;
  };
  std::vector<core::SubnetConfig> configs;
  for (int i = 0; i < 300; ++i) configs.push_back(core::SampleSubnet(space, rng));
  AccuracyPredictor predictor(space);
  size_t next = 0;
  const search::SurrogateQuality quality = search::FitSurrogate(
      predictor, search::OneByOne(target), static_cast<int>(configs.size()), [&] { return configs[next++]; });
  EXPECT_LT(quality.rmse, 0.02);
  EXPECT_GT(quality.kendall_tau, 0.8);
  const core::SubnetConfig largest = core::LargestSubnet(space), smallest = core::SmallestSubnet(space);
  EXPECT_GT(predictor.Predict(largest), predictor.Predict(smallest));
  EXPECT_EQ(predictor.Encode(largest).size(), static_cast<size_t>(predictor.features()));
}

}  // namespace
}  // namespace kilonas::supernet

#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "supernet/int8_eval.h"

namespace kilonas::supernet {
namespace {

// Int8Accuracy resizes all images in one pass and runs interpreters in parallel: it must count
// exactly what one interpreter counts on EngineImage inputs one by one.
TEST(Int8Accuracy, EqualsTheImageByImageCount) {
  const core::OfaSpace space = core::FashionMnistSpace();
  const auto splits = LoadedTrainAndValidation();
  ASSERT_TRUE(splits);
  const ImageSet *train = &splits->first, *validation = &splits->second;
  torch::manual_seed(10);
  Supernet net(space);
  core::SubnetConfig config = core::SmallestSubnet(space);
  config.resolution = 24;  // resized from 28
  EvalOptions bn;
  bn.bn_batches = 1;
  bn.bn_batch_size = 64;
  core::Result<engine::Model> model = QuantizeSubnet(net, config, *train, bn, 8, {});
  ASSERT_TRUE(model.ok()) << model.error().message;
  const int images = 300;
  core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(model.value());
  ASSERT_TRUE(interpreter.ok());
  int64_t correct = 0;
  std::vector<int> predictions;
  for (int i = 0; i < images; ++i) {
    const std::vector<int8_t> out = interpreter.value().Invoke(
        engine::QuantizeInput(model.value(), EngineImage(*validation, i, config.resolution)));
    predictions.push_back(static_cast<int>(std::max_element(out.begin(), out.end()) - out.begin()));
    correct += predictions.back() == validation->labels[static_cast<size_t>(i)];
  }
  const std::set<int> distinct(predictions.begin(), predictions.end());
  ASSERT_GT(distinct.size(), 1u);  // a model that predicts one class would hide differences
  core::Result<double> parallel = Int8Accuracy(model.value(), *validation, config.resolution, images);
  ASSERT_TRUE(parallel.ok());
  EXPECT_DOUBLE_EQ(parallel.value(), static_cast<double>(correct) / images);
  // Labelled with the image-by-image predictions, every image counts: one skipped, repeated or
  // paired with another's label shows.
  ImageSet relabelled = *validation;
  for (int i = 0; i < images; ++i) relabelled.labels[static_cast<size_t>(i)] = static_cast<uint8_t>(predictions[i]);
  core::Result<double> all = Int8Accuracy(model.value(), relabelled, config.resolution, images);
  ASSERT_TRUE(all.ok());
  EXPECT_DOUBLE_EQ(all.value(), 1.0);
}

}  // namespace
}  // namespace kilonas::supernet
