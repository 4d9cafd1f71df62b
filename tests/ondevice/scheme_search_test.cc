#include "ondevice/scheme_search.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "tests/ondevice/random_models.h"
#include "tests/support/random_graphs.h"

namespace kilonas::ondevice {
namespace {

// Made-up analysis results: each run's accuracy drawn at random around the classifier's 50%, so
// that some weights and biases help and some hurt.
Contributions RandomContributions(const SparseLayers& layers, std::mt19937& rng) {
  Contributions c;
  std::uniform_real_distribution<double> gain(-0.02, 0.06);
  for (const ContributionRun& run : ContributionRuns(layers)) {
    c.accuracy[run.name] = run.name == "classifier" ? 0.5 : 0.5 + gain(rng);
  }
  return c;
}

// Every choice of a small model: depth 0..n and the five ratios per layer.
std::vector<SparseChoice> AllChoices(size_t n) {
  std::vector<SparseChoice> all;
  std::vector<int> digits(n, 0);
  const int ratios[] = {0, 1, 2, 4, 8};
  for (;;) {
    for (int depth = 0; depth <= static_cast<int>(n); ++depth) {
      SparseChoice c{depth, {}};
      for (int d : digits) c.eighths.push_back(ratios[d]);
      all.push_back(c);
    }
    size_t i = 0;
    while (i < n && ++digits[i] == 5) digits[i++] = 0;
    if (i == n) return all;
  }
}

TEST(SchemeSearch, TheAnalysisRunsAreTheClassifierEachBiasDepthAndEachLayerAtEachRatio) {
  std::mt19937 rng(71);
  const engine::Model model = testing::QuantizedRandomModel(kilonas::testing::RandomGraph(rng), rng);
  const SparseLayers layers = SparseLayersOf(model).value();
  const std::vector<ContributionRun> runs = ContributionRuns(layers);
  EXPECT_EQ(runs.size(), 1 + 5 * layers.layers.size());
  std::set<std::string> names;
  for (const ContributionRun& run : runs) {
    EXPECT_TRUE(names.insert(run.name).second) << run.name;
    const UpdateScheme scheme = SchemeOf(layers, run.choice, UpdateScheme{});
    EXPECT_TRUE(ValidateUpdateScheme(scheme, model, run.name).ok()) << run.name;
    EXPECT_EQ(scheme.layers.back().layer, layers.classifier);
    EXPECT_EQ(scheme.layers.back().weights.eighths, 8);
  }
}

TEST(SchemeSearch, ABiasDepthUpdatesTheBiasesOfTheLayersJustBeforeTheClassifier) {
  std::mt19937 rng(72);
  const engine::Model model = testing::QuantizedRandomModel(kilonas::testing::RandomGraph(rng), rng);
  const SparseLayers layers = SparseLayersOf(model).value();
  const size_t n = layers.layers.size();
  ASSERT_GE(n, 2u);
  const UpdateScheme s = SchemeOf(layers, {2, std::vector<int>(n, 0)}, UpdateScheme{});
  ASSERT_EQ(s.layers.size(), 3u);
  EXPECT_EQ(s.layers[0].layer, layers.layers[n - 2]);
  EXPECT_EQ(s.layers[1].layer, layers.layers[n - 1]);
  EXPECT_TRUE(s.layers[0].bias && s.layers[1].bias);
  EXPECT_EQ(s.layers[0].weights.eighths, 0);
}

// The search against every choice of a small network: the one it returns fits the budget, and no
// fitting choice has a larger predicted gain (the additive model); the baselines are the deepest
// that fit.
TEST(SchemeSearch, FindsTheBestFittingChoiceOfASmallNetworkAtEveryBudget) {
  std::mt19937 rng(73);
  const engine::Model model = testing::QuantizedRandomModel(kilonas::testing::PoolNetwork(false), rng);
  const SparseLayers layers = SparseLayersOf(model).value();
  ASSERT_EQ(layers.layers.size(), 3u);
  const std::vector<SparseChoice> all = AllChoices(layers.layers.size());
  std::vector<int64_t> bytes;
  for (const SparseChoice& c : all) bytes.push_back(TrainingStepBytes(model, SchemeOf(layers, c, {})).value());
  const int64_t smallest = *std::min_element(bytes.begin(), bytes.end());
  const int64_t largest = *std::max_element(bytes.begin(), bytes.end());
  for (int trial = 0; trial < 6; ++trial) {
    const Contributions c = RandomContributions(layers, rng);
    SchemeSearchOptions options;
    options.budget_bytes = smallest + (largest - smallest) * trial / 5;
    options.seed = static_cast<uint32_t>(trial);
    const SchemeSearchResult r = SearchScheme(model, c, UpdateScheme{}, options).value();
    double best = -1;
    for (size_t i = 0; i < all.size(); ++i) {
      if (bytes[i] <= options.budget_bytes) best = std::max(best, c.Gain(layers, all[i]));
    }
    EXPECT_LE(r.best.step_bytes, options.budget_bytes) << "trial " << trial;
    EXPECT_EQ(r.best.step_bytes, TrainingStepBytes(model, SchemeOf(layers, r.best.choice, {})).value());
    EXPECT_DOUBLE_EQ(r.best.predicted_gain, best) << "trial " << trial;
    ASSERT_FALSE(r.finalists.empty());
    EXPECT_EQ(r.finalists[0].choice.Key(), r.best.choice.Key());
    std::set<std::string> keys;
    for (size_t i = 0; i < r.finalists.size(); ++i) {
      EXPECT_TRUE(keys.insert(r.finalists[i].choice.Key()).second);
      EXPECT_LE(r.finalists[i].step_bytes, options.budget_bytes);
      if (i > 0) {
        EXPECT_LE(r.finalists[i].predicted_gain, r.finalists[i - 1].predicted_gain);
      }
    }
    EXPECT_GE(r.best.predicted_gain, r.last_layers.predicted_gain);
    EXPECT_GE(r.best.predicted_gain, r.bias_only.predicted_gain);
    const int k = r.bias_only.choice.bias_depth;
    if (k < 3) {
      const SparseChoice deeper{k + 1, std::vector<int>(3, 0)};
      EXPECT_GT(TrainingStepBytes(model, SchemeOf(layers, deeper, {})).value(), options.budget_bytes);
    }
  }
}

TEST(SchemeSearch, SameSeedSameScheme) {
  std::mt19937 rng(74);
  const engine::Model model = testing::QuantizedRandomModel(kilonas::testing::RandomGraph(rng), rng);
  const SparseLayers layers = SparseLayersOf(model).value();
  const Contributions c = RandomContributions(layers, rng);
  SchemeSearchOptions options;
  options.budget_bytes = TrainingStepBytes(model, LastLayers(model, 3)).value();
  options.generations = 5;
  const SchemeSearchResult a = SearchScheme(model, c, UpdateScheme{}, options).value();
  const SchemeSearchResult b = SearchScheme(model, c, UpdateScheme{}, options).value();
  EXPECT_EQ(a.best.choice.Key(), b.best.choice.Key());
}

TEST(SchemeSearch, RefusesABudgetBelowTheClassifierAloneAndAnIncompleteAnalysis) {
  std::mt19937 rng(75);
  const engine::Model model = testing::QuantizedRandomModel(kilonas::testing::PoolNetwork(false), rng);
  const SparseLayers layers = SparseLayersOf(model).value();
  Contributions c = RandomContributions(layers, rng);
  SchemeSearchOptions options;
  options.budget_bytes = 100;
  core::Result<SchemeSearchResult> r = SearchScheme(model, c, UpdateScheme{}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("only the classifier ('fc')"), std::string::npos) << r.error().message;
  c.accuracy.erase("biases:2");
  options.budget_bytes = 1 << 20;
  r = SearchScheme(model, c, UpdateScheme{}, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("'biases:2'"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace kilonas::ondevice
