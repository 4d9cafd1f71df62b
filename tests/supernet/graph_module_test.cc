#include "supernet/graph_module.h"

#include <gtest/gtest.h>

#include "core/ofa_space.h"
#include "data/dataset.h"
#include "supernet/evaluate.h"
#include "supernet/extract.h"
#include "supernet/graph_training.h"
#include "supernet/supernet.h"

namespace kilonas::supernet {
namespace {

core::Graph GraphOf(const core::SubnetConfig& config, const core::OfaSpace& space) {
  return core::BuildSubnetGraph(space, config).value();
}

// Every op of the Graph has its layer: every parameter gets a gradient, and a few SGD steps fit a
// fixed batch (a missing residual add or a wrong stride would not change the shape but would
// leave parameters without gradient or the loss flat).
TEST(GraphModule, EveryParameterLearnsOnTheLargestAndSmallestSubnet) {
  const core::OfaSpace space = core::BuiltinSpace("fmnist").value();
  for (const core::SubnetConfig& config : {core::LargestSubnet(space), core::SmallestSubnet(space)}) {
    torch::manual_seed(1);
    GraphModule net(GraphOf(config, space));
    const torch::Tensor x = torch::randn({16, 1, config.resolution, config.resolution});
    const torch::Tensor y = torch::arange(16) % 10;
    torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.05).momentum(0.9));
    double first = 0, last = 0;
    for (int step = 0; step < 15; ++step) {
      sgd.zero_grad();
      const torch::Tensor logits = net->forward(x);
      ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{16, 10}));
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      loss.backward();
      if (step == 0) {
        for (const auto& p : net->named_parameters()) {
          ASSERT_TRUE(p.value().grad().defined()) << p.key();
          EXPECT_GT(p.value().grad().abs().sum().item<double>(), 0) << p.key();
        }
        first = loss.item<double>();
      }
      last = loss.item<double>();
      sgd.step();
    }
    EXPECT_LT(last, 0.5 * first) << "resolution " << config.resolution;
  }
}

// A subnet extracted from a (randomly initialised, BN-calibrated) supernet and loaded into a
// GraphModule computes what the supernet computes for it, and ToFloat gives the same arrays back:
// fine-tuning starts from the searched weights and exports through the same quantizer.
TEST(GraphModule, LoadsAnExtractedSubnetAndGivesItBack) {
  const core::OfaSpace space = core::BuiltinSpace("fmnist").value();
  torch::manual_seed(3);
  Supernet net(space);
  std::mt19937 rng(11);
  for (int i = 0; i < 4; ++i) {
    const core::SubnetConfig config = core::SampleSubnet(space, rng);
    ASSERT_TRUE(net->SetActive(config).ok());
    const torch::Tensor x = torch::randn({8, 1, config.resolution, config.resolution});
    net->train();
    {
      torch::NoGradGuard no_grad;
      for (int b = 0; b < 3; ++b) net->forward(torch::randn({32, 1, config.resolution, config.resolution}));
    }
    net->eval();
    const torch::Tensor expected = net->forward(x).detach();
    const core::Result<core::FloatModel> extracted = ExtractSubnet(net, config);
    ASSERT_TRUE(extracted.ok()) << extracted.error().message;
    GraphModule module(extracted.value().graph);
    ASSERT_TRUE(module->LoadFloat(extracted.value()).ok());
    module->eval();
    EXPECT_TRUE(torch::allclose(module->forward(x), expected, 1e-4, 1e-4)) << "subnet " << i;
    const core::FloatModel back = module->ToFloat();
    ASSERT_EQ(back.ops.size(), extracted.value().ops.size());
    for (size_t op = 0; op < back.ops.size(); ++op) {
      const core::FloatOpWeights &a = back.ops[op], &b = extracted.value().ops[op];
      EXPECT_EQ(a.weights, b.weights) << op;
      EXPECT_EQ(a.bn_gamma, b.bn_gamma) << op;
      EXPECT_EQ(a.bn_beta, b.bn_beta) << op;
      EXPECT_EQ(a.bn_mean, b.bn_mean) << op;
      EXPECT_EQ(a.bn_var, b.bn_var) << op;
      if (!b.bias.empty()) {
        EXPECT_EQ(a.bias, b.bias) << op;
      }
    }
  }
}

// From scratch on 3 x 6400 Fashion-MNIST images the smallest subnet learns (validation far above
// chance), and the same seed gives the same weights.
TEST(TrainGraphModule, LearnsFashionMnistAndRepeatsWithTheSameSeed) {
  const core::Result<data::Dataset> data = data::LoadDataset(data::kDefaultDataSpec);
  if (!data.ok()) GTEST_SKIP() << "Fashion-MNIST not installed";
  const ImageSet* train = &data.value().train;
  const ImageSet* validation = &data.value().validation;
  const core::OfaSpace space = core::BuiltinSpace("fmnist").value();
  const core::Graph graph = GraphOf(core::SmallestSubnet(space), space);
  TrainConfig recipe;
  recipe.train_images = 6400;
  recipe.threads = 2;
  std::vector<torch::Tensor> first_weights;
  for (int run = 0; run < 2; ++run) {
    torch::manual_seed(5);
    GraphModule module(graph);
    const std::vector<EpochReport> reports = TrainGraphModule(module, *train, recipe, 3, 0.05);
    ASSERT_EQ(reports.size(), 3u);
    EXPECT_GT(reports[2].accuracy, reports[0].accuracy);
    EvalOptions options;
    options.max_images = 1000;
    const double accuracy = TopOneAccuracy([&](const torch::Tensor& x) { return module->forward(x); }, *validation,
                                           graph.tensor(graph.input()).shape.h, options);
    EXPECT_GT(accuracy, 0.6);
    if (run == 0) {
      for (const torch::Tensor& p : module->parameters()) first_weights.push_back(p.detach().clone());
    } else {
      const std::vector<torch::Tensor> again = module->parameters();
      for (size_t i = 0; i < again.size(); ++i) EXPECT_TRUE(torch::equal(again[i], first_weights[i])) << i;
    }
  }
}

}  // namespace
}  // namespace kilonas::supernet
