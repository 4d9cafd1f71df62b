// The supernet committed in supernets/fmnist_full must keep loading whatever changes in the data
// set, space or checkpoint code: its manifest, its weights and the input statistics it was
// trained with (from before checkpoints stored them: Fashion-MNIST's constants). Once the training
// is finished, provenance.json (scripts/provenance.sh) records the largest subnet's accuracy on
// the first 1,000 test images, and the checkpoint must reproduce it within 1 point.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "supernet/evaluate.h"
#include "supernet/trainer.h"
#include "tests/support/source_path.h"

namespace kilonas::supernet {
namespace {

const std::string kConfig = kilonas::testing::SourcePath("configs/supernet_fmnist_full.json");
constexpr const char* kDir = "supernets/fmnist_full";

TEST(CommittedSupernet, LoadsWithItsTrainingStatisticsAndClassifies) {
  if (!std::filesystem::is_directory("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "Fashion-MNIST not installed";
  core::Result<TrainConfig> config = LoadTrainConfig(kConfig);
  ASSERT_TRUE(config.ok()) << config.error().message;
  config.value().checkpoint_dir = kDir;
  core::Result<std::unique_ptr<Trainer>> trainer = Trainer::Create(config.value(), /*resume=*/true);
  ASSERT_TRUE(trainer.ok()) << trainer.error().message;
  const data::Normalization legacy = data::LegacyFashionMnistNormalization();
  EXPECT_EQ(trainer.value()->test_set().normalization.mean, legacy.mean);
  EXPECT_EQ(trainer.value()->test_set().normalization.std, legacy.std);
  // The largest subnet was trained for 30 epochs before anything else (93.35% validation then).
  EvalOptions options;
  options.bn_batches = config.value().bn_recalibration_batches;
  options.max_images = 1000;
  const double accuracy = EvaluateSubnet(trainer.value()->supernet(), core::LargestSubnet(trainer.value()->space()),
                                         trainer.value()->train_set(), trainer.value()->test_set(), options);
  EXPECT_GT(accuracy, 0.90);
  std::ifstream provenance(std::string(kDir) + "/provenance.json");
  if (!provenance) return;  // training not finished yet
  const nlohmann::json doc = nlohmann::json::parse(provenance);
  EXPECT_NEAR(100 * accuracy, doc.at("largest").at("test_accuracy_first_1000").get<double>(), 1.0);
}

}  // namespace
}  // namespace kilonas::supernet
