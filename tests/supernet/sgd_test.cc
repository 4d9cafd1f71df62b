#include "supernet/sgd.h"

#include <gtest/gtest.h>

namespace kilonas::supernet {
namespace {

// The same steps through LibTorch's SGD and ours give identical parameters, bit for bit,
// including parameters that get no gradient on some steps (their momentum must wait).
TEST(Sgd, EqualsLibTorchSgdBitForBit) {
  for (const bool nesterov : {true, false}) {
    torch::manual_seed(1);
    std::vector<torch::Tensor> ours = {torch::randn({8, 4}), torch::randn({16}), torch::randn({3, 3, 2})};
    std::vector<torch::Tensor> theirs;
    for (torch::Tensor& t : ours) {
      t.set_requires_grad(true);
      theirs.push_back(t.detach().clone().set_requires_grad(true));
    }
    Sgd sgd(ours, {0.05, 0.9, 3e-5, nesterov});
    torch::optim::SGD reference(theirs,
                                torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(3e-5).nesterov(nesterov));
    for (int step = 0; step < 12; ++step) {
      const double rate = 0.05 * (1.0 - step / 12.0);
      sgd.SetLearningRate(rate);
      for (auto& group : reference.param_groups()) static_cast<torch::optim::SGDOptions&>(group.options()).lr(rate);
      sgd.ClearGradients();
      for (torch::Tensor& t : theirs) t.mutable_grad().reset();
      torch::manual_seed(100 + step);
      const torch::Tensor probe = torch::randn({8, 4});
      for (auto* set : {&ours, &theirs}) {
        torch::Tensor loss = ((*set)[0] * probe).pow(2).sum();
        if (step % 3 != 1) loss = loss + (*set)[1].sin().sum();  // parameter 1 skips some steps
        if (step >= 4) loss = loss + (*set)[2].abs().sum();      // parameter 2 starts late
        loss.backward();
      }
      sgd.Step();
      reference.step();
      for (size_t i = 0; i < ours.size(); ++i)
        ASSERT_TRUE(torch::equal(ours[i], theirs[i])) << "step " << step << " param " << i;
    }
    EXPECT_TRUE(sgd.momentum()[2].defined());
  }
}

}  // namespace
}  // namespace kilonas::supernet
