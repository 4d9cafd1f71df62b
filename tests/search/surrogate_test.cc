#include "search/surrogate.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/search/fmnist_resource_model.h"

namespace kilonas::search {
namespace {

ResourceModel Model() { return testing::FmnistResourceModel(); }

double BlockScore(const core::SubnetConfig& c) {
  double score = 0.01 * c.resolution + c.width_mult;
  for (const auto& stage : c.stages) {
    for (const core::BlockChoice& b : stage) score += 0.02 * b.kernel + 0.01 * b.expand;
  }
  return score;
}

// A surrogate whose predictions differ from the measured accuracy, so the test can tell which one
// the evolution used: measured = 0.5 + score / 10, predicted = 0.4 + score / 10.
class OffsetSurrogate : public Surrogate {
 public:
  void Fit(const std::vector<core::SubnetConfig>& configs, const std::vector<double>&) override {
    fits.push_back(configs.size());
  }
  double Predict(const core::SubnetConfig& c) override { return 0.4 + BlockScore(c) / 10; }
  std::vector<size_t> fits;
};

TEST(EvolveWithAccuracy, SurrogateIsTheFitnessAndTheSupernetMeasuresOnlySamplesAndBest) {
  const ResourceModel model = Model();
  int measurements = 0;
  OffsetSurrogate surrogate;
  std::mt19937 draw_rng(5);
  AccuracySource source;
  source.measure = [&](const core::SubnetConfig& c) {
    ++measurements;
    return 0.5 + BlockScore(c) / 10;
  };
  source.surrogate = &surrogate;
  source.surrogate_samples = 20;
  source.remeasure_best = 3;
  source.draw = [&] { return core::SampleSubnet(model.space(), draw_rng); };
  EvolutionConfig config;
  config.population = 12;
  config.generations = 3;
  std::mt19937 rng(9);
  const auto outcome = EvolveWithAccuracy(model, {64 * 1024, 1 << 30, 0}, source, config, rng);
  ASSERT_TRUE(outcome.ok()) << outcome.error().message;
  EXPECT_EQ(measurements, 20 + 3);
  EXPECT_EQ(surrogate.fits, (std::vector<size_t>{16, 20}));  // held-out fit, then all samples
  ASSERT_TRUE(outcome.value().surrogate);
  EXPECT_NEAR(outcome.value().surrogate->rmse, 0.1, 1e-9);  // the constant offset
  EXPECT_NEAR(outcome.value().surrogate->kendall_tau, 1.0, 1e-9);
  const std::vector<Candidate>& population = outcome.value().result.population;
  for (size_t i = 0; i < population.size(); ++i) {
    const double offset = i < 3 ? 0.5 : 0.4;  // the best three were measured, the rest predicted
    EXPECT_NEAR(population[i].accuracy, offset + BlockScore(population[i].config) / 10, 1e-12) << i;
  }
  EXPECT_GE(population[0].accuracy, population[1].accuracy);
  EXPECT_GE(population[1].accuracy, population[2].accuracy);
}

TEST(EvolveWithAccuracy, WithoutSurrogateEveryCandidateIsMeasured) {
  const ResourceModel model = Model();
  int measurements = 0;
  AccuracySource source;
  source.measure = [&](const core::SubnetConfig& c) {
    ++measurements;
    return BlockScore(c);
  };
  EvolutionConfig config;
  config.population = 8;
  config.generations = 2;
  std::mt19937 rng(9);
  const auto outcome = EvolveWithAccuracy(model, {64 * 1024, 1 << 30, 0}, source, config, rng);
  ASSERT_TRUE(outcome.ok());
  EXPECT_FALSE(outcome.value().surrogate);
  EXPECT_EQ(static_cast<size_t>(measurements), outcome.value().result.evaluated.size());
}

TEST(KendallTau, CountsConcordantAndDiscordantPairs) {
  EXPECT_DOUBLE_EQ(KendallTau({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(KendallTau({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // 5 concordant, 1 discordant pair of 6: (5 - 1) / 6.
  EXPECT_NEAR(KendallTau({1, 2, 3, 4}, {1, 3, 2, 4}), 4.0 / 6.0, 1e-12);
  // Tie in the first series: tau-b = (C - D) / sqrt((C + D + Ta)(C + D + Tb)) = 5 / sqrt(5 * 6).
  EXPECT_NEAR(KendallTau({1, 1, 2, 3}, {1, 2, 3, 4}), 5.0 / std::sqrt(30.0), 1e-12);
  EXPECT_DOUBLE_EQ(KendallTau({1}, {2}), 0.0);
}

}  // namespace
}  // namespace kilonas::search
