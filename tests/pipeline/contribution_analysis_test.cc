#include "pipeline/contribution_analysis.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "core/file_io.h"
#include "pipeline/budget_scheme.h"
#include "tests/ondevice/random_models.h"
#include "tests/support/random_graphs.h"

namespace kilonas::pipeline {
namespace {

// Images whose class is their brightness (class c around 50 c), so that fine-tunes can learn it
// and runs that update different parameters end at different accuracies.
data::ImageSet RandomImages(int count, std::mt19937& rng) {
  data::ImageSet set;
  set.rows = set.cols = 20;
  set.channels = 3;
  std::uniform_int_distribution<int> noise(-30, 30), label(0, 4);
  for (int i = 0; i < count; ++i) {
    const int c = label(rng);
    set.labels.push_back(static_cast<uint8_t>(c));
    for (size_t k = 0; k < set.ImageBytes(); ++k) {
      set.pixels.push_back(static_cast<uint8_t>(std::clamp(30 + 50 * c + noise(rng), 0, 255)));
    }
  }
  set.normalization = {{0.5f, 0.5f, 0.5f}, {0.3f, 0.3f, 0.3f}};
  return set;
}

data::Dataset RandomDataset(std::mt19937& rng) {
  data::Dataset set;
  set.source = "random";
  set.class_names = {"a", "b", "c", "d", "e"};
  set.train = RandomImages(24, rng);
  set.validation = RandomImages(40, rng);
  set.test = RandomImages(8, rng);
  return set;
}

std::string TempPath(const std::string& name) {
  return (std::filesystem::temp_directory_path() / ("kilonas_contrib_" + name)).string();
}

// Resumed == uninterrupted: a cache holding half of the runs (as an interrupted analysis leaves
// it) gives every accuracy the whole analysis gives; a cached value is used as it is; a cache
// made with other settings is not used.
TEST(ContributionAnalysis, AResumedAnalysisEqualsTheUninterruptedOneAndTheCacheKeysOnItsSettings) {
  std::mt19937 rng(81);
  const engine::Model model = ondevice::testing::QuantizedRandomModel(kilonas::testing::PoolNetwork(false), rng);
  const data::Dataset set = RandomDataset(rng);
  ondevice::UpdateScheme settings;
  settings.steps = 24;
  settings.learning_rate = 0.5;  // large steps: runs that differ in what they update score differently
  ContributionOptions options;
  options.cache_path = TempPath("whole.json");
  std::filesystem::remove(options.cache_path);
  const ondevice::Contributions whole = AnalyseContributions(model, settings, set, options).value();
  const ondevice::SparseLayers layers = ondevice::SparseLayersOf(model).value();
  EXPECT_TRUE(whole.Missing(layers).empty());
  ASSERT_EQ(whole.accuracy.size(), 16u);  // the classifier, 3 bias depths, 3 layers x 4 ratios
  std::set<double> distinct;
  for (const auto& [name, accuracy] : whole.accuracy) distinct.insert(accuracy);
  ASSERT_GE(distinct.size(), 3u);  // else a mixed-up resume could not show

  nlohmann::json file = nlohmann::json::parse(core::ReadTextFile(options.cache_path).value());
  int k = 0;
  for (auto it = file["accuracy"].begin(); it != file["accuracy"].end();) {
    it = k++ % 2 ? file["accuracy"].erase(it) : std::next(it);
  }
  const std::string kept = file["accuracy"].begin().key();
  file["accuracy"][kept] = 0.125;  // a value no run of 40 images can give
  ContributionOptions resumed = options;
  resumed.cache_path = TempPath("half.json");
  ASSERT_TRUE(core::WriteFileAtomic(resumed.cache_path, file.dump()).ok());
  const ondevice::Contributions again = AnalyseContributions(model, settings, set, resumed).value();
  for (const auto& [name, accuracy] : whole.accuracy) {
    EXPECT_EQ(again.accuracy.at(name), name == kept ? 0.125 : accuracy) << name;
  }

  ondevice::UpdateScheme nearest = settings;  // other rounding: the cache is not used
  nearest.stochastic_rounding = false;
  EXPECT_NE(AnalyseContributions(model, nearest, set, resumed).value().accuracy.at(kept), 0.125);
  ASSERT_TRUE(core::WriteFileAtomic(resumed.cache_path, file.dump()).ok());
  settings.steps = 25;  // other settings: the cache is not used
  const ondevice::Contributions other = AnalyseContributions(model, settings, set, resumed).value();
  EXPECT_NE(other.accuracy.at(kept), 0.125);
  // A damaged cache (a truncated write by another tool, a hand edit) is run again, not trusted.
  ASSERT_TRUE(core::WriteFileAtomic(resumed.cache_path, "{\"identity\": [1, 2").ok());
  EXPECT_EQ(AnalyseContributions(model, settings, set, resumed).value().accuracy, other.accuracy);
  std::filesystem::remove(options.cache_path);
  std::filesystem::remove(resumed.cache_path);
}

// The scheme for a budget: every candidate (the search's finalists and both baselines) fits and is
// measured, the one kept measures best, its scheme is the candidate's; a budget below the
// classifier alone is refused before any fine-tune.
TEST(BudgetScheme, KeepsTheBestMeasuredOfTheFinalistsAndTheBaselines) {
  std::mt19937 rng(82);
  const engine::Model model = ondevice::testing::QuantizedRandomModel(kilonas::testing::PoolNetwork(false), rng);
  const data::Dataset set = RandomDataset(rng);
  ondevice::UpdateScheme settings;
  settings.steps = 24;
  settings.learning_rate = 0.5;
  const ondevice::SparseLayers layers = ondevice::SparseLayersOf(model).value();
  const ondevice::SparseChoice all{3, std::vector<int>(3, 8)};  // the budget: everything fits
  BudgetSchemeOptions options;
  options.budget_bytes = ondevice::TrainingStepBytes(model, ondevice::SchemeOf(layers, all, settings)).value();
  const BudgetSchemeResult r = SchemeForBudget(model, settings, set, options).value();
  std::set<std::string> keys;
  std::set<double> measured;
  for (const MeasuredChoice& c : r.candidates) {
    keys.insert(c.choice.choice.Key());
    measured.insert(c.validation_accuracy);
    EXPECT_LE(c.choice.step_bytes, options.budget_bytes);
    EXPECT_LE(c.validation_accuracy, r.best.validation_accuracy);
  }
  ASSERT_GE(measured.size(), 2u);  // else keeping the best could not show
  EXPECT_TRUE(keys.count(r.search.last_layers.choice.Key()));
  EXPECT_TRUE(keys.count(r.search.bias_only.choice.Key()));
  EXPECT_TRUE(keys.count(r.best.choice.choice.Key()));
  EXPECT_EQ(ondevice::UpdateSchemeJson(r.scheme),
            ondevice::UpdateSchemeJson(ondevice::SchemeOf(layers, r.best.choice.choice, settings)));
  const core::Status refused = ondevice::ClassifierAloneFits(model, settings, 64);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("only the classifier ('fc')"), std::string::npos) << refused.message();
}

}  // namespace
}  // namespace kilonas::pipeline
