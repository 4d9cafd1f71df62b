#include "supernet/graph_module.h"

#include <gtest/gtest.h>

#include "core/ofa_space.h"

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

}  // namespace
}  // namespace kilonas::supernet
