#include "search/shrink.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/search/fmnist_resource_model.h"

namespace kilonas::search {
namespace {

// No choice of `small` exceeds the one of `big` at the same place, and no stage is deeper.
bool NoLarger(const core::SubnetConfig& small, const core::SubnetConfig& big) {
  if (small.width_mult > big.width_mult + 1e-9 || small.resolution > big.resolution) return false;
  for (size_t s = 0; s < small.stages.size(); ++s) {
    if (small.stages[s].size() > big.stages[s].size()) return false;
    for (size_t b = 0; b < small.stages[s].size(); ++b) {
      if (small.stages[s][b].kernel > big.stages[s][b].kernel || small.stages[s][b].expand > big.stages[s][b].expand) {
        return false;
      }
    }
  }
  return true;
}

Candidate Measured(const ResourceModel& model, const core::SubnetConfig& config) {
  return {config, model.Measure(config).value(), 0};
}

TEST(ShrinkToFit, EndsInTheSpaceWithinEveryBudgetAndNeverGrowsAChoice) {
  const ResourceModel model = testing::FmnistResourceModel();
  const Resources smallest = model.Measure(core::SmallestSubnet(model.space())).value();
  std::mt19937 rng(5);
  int shrunk = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const Candidate drawn = Measured(model, core::SampleSubnet(model.space(), rng));
    // Budgets between the smallest subnet's needs and the drawn one's: always reachable.
    const double t = std::uniform_real_distribution<double>(0, 1)(rng);
    const Budgets budgets{
        smallest.sram_bytes + static_cast<int64_t>(t * (drawn.resources.sram_bytes - smallest.sram_bytes)),
        smallest.flash_bytes + static_cast<int64_t>(t * (drawn.resources.flash_bytes - smallest.flash_bytes)),
        smallest.latency_ms + t * (drawn.resources.latency_ms - smallest.latency_ms) + 1e-6};
    const auto fitted = ShrinkToFit(model, budgets, drawn, model.space());
    ASSERT_TRUE(fitted.ok()) << fitted.error().message;
    ASSERT_TRUE(fitted.value().has_value()) << "trial " << trial;
    const Candidate& c = *fitted.value();
    EXPECT_TRUE(core::ValidateSubnet(model.space(), c.config).ok());
    EXPECT_FALSE(WorstViolation(c.resources, budgets).has_value());
    EXPECT_TRUE(NoLarger(c.config, drawn.config));
    EXPECT_EQ(c.resources.macs, model.Measure(c.config).value().macs);  // resources are the final subnet's
    shrunk += !(c.config == drawn.config);
    // The same subnet is always shrunk the same way (seeded by the subnet, not by a caller's RNG).
    EXPECT_EQ(ShrinkToFit(model, budgets, drawn, model.space()).value()->config, c.config);
  }
  EXPECT_GT(shrunk, 20);  // the budgets really made most of them shrink
}

TEST(ShrinkToFit, KeepsTheChoicesItIsGivenAndFailsBelowTheirSmallest) {
  const ResourceModel model = testing::FmnistResourceModel();
  core::OfaSpace sub = model.space();
  sub.width_choices = {1.0};
  sub.resolution_choices = {32};
  const Candidate largest = Measured(model, core::LargestSubnet(sub));
  const Resources sub_smallest = model.Measure(core::SmallestSubnet(sub)).value();
  const Budgets reachable{sub_smallest.sram_bytes, sub_smallest.flash_bytes, 0};
  const auto fitted = ShrinkToFit(model, reachable, largest, sub);
  ASSERT_TRUE(fitted.ok() && fitted.value());
  EXPECT_EQ(fitted.value()->config.width_mult, 1.0);
  EXPECT_EQ(fitted.value()->config.resolution, 32);
  const Budgets below{sub_smallest.sram_bytes, sub_smallest.flash_bytes - 1, 0};
  const auto none = ShrinkToFit(model, below, largest, sub);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
}

TEST(DrawFeasible, ShrinksDrawsWhenRejectionFindsTooFewButTheSmallestFits) {
  const ResourceModel model = testing::FmnistResourceModel();
  const Resources smallest = model.Measure(core::SmallestSubnet(model.space())).value();
  // Just above the smallest subnet's flash: random draws of the whole space almost never fit.
  const Budgets budgets{1 << 30, smallest.flash_bytes + 2048, 0};
  std::mt19937 rng(9);
  const auto draws = DrawFeasible(model, budgets, 12, 64, [&] { return core::SampleSubnet(model.space(), rng); });
  ASSERT_TRUE(draws.ok()) << draws.error().message;
  ASSERT_EQ(draws.value().size(), 12u);
  for (const Candidate& c : draws.value()) {
    EXPECT_FALSE(WorstViolation(c.resources, budgets).has_value());
    EXPECT_TRUE(core::ValidateSubnet(model.space(), c.config).ok());
  }
}

TEST(RankSpaces, ShrinkingFallbackFitsExactlyTheSubSpacesWhoseSmallestFits) {
  const ResourceModel model = testing::FmnistResourceModel();
  const Resources smallest = model.Measure(core::SmallestSubnet(model.space())).value();
  const Budgets budgets{1 << 30, smallest.flash_bytes + 4096, 0};
  std::mt19937 rng(3);
  const std::vector<SpaceChoice> ranked = RankSpaces(model, budgets, 8, rng, /*shrink_to_fit=*/true).value();
  int fitting_spaces = 0;
  for (const SpaceChoice& s : ranked) {
    core::OfaSpace sub = model.space();
    sub.width_choices = {s.width};
    sub.resolution_choices = {s.resolution};
    const bool fits = !WorstViolation(model.Measure(core::SmallestSubnet(sub)).value(), budgets);
    EXPECT_TRUE(s.shrunk);
    EXPECT_EQ(s.feasible, fits ? s.samples : 0) << "width " << s.width << " resolution " << s.resolution;
    fitting_spaces += fits;
  }
  EXPECT_GT(fitting_spaces, 0);
  EXPECT_LT(fitting_spaces, static_cast<int>(ranked.size()));  // the budget really separates sub-spaces
  ASSERT_NE(ChooseSpace(ranked), nullptr);
}

}  // namespace
}  // namespace kilonas::search
