// The pipeline's LibTorch parts: the accuracy predictor (the search's surrogate) and the int8
// accuracy of a supernet's subnet on the host interpreter.
#include <gtest/gtest.h>

#include <optional>
#include <random>
#include <set>

#include "data/dataset.h"
#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "pipeline/accuracy_predictor.h"
#include "pipeline/int8_eval.h"
#include "pipeline/supernet_source.h"
#include "tests/support/source_path.h"

namespace kilonas::pipeline {
namespace {

std::optional<std::pair<data::ImageSet, data::ImageSet>> LoadedTrainAndValidation() {
  core::Result<data::Dataset> set = data::LoadDataset(data::kDefaultDataSpec);
  if (!set.ok()) return ADD_FAILURE() << set.error().message, std::nullopt;
  return std::make_pair(std::move(set.value().train), std::move(set.value().validation));
}

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

// Int8Accuracy resizes all images in one pass and runs interpreters in parallel: it must count
// exactly what one interpreter counts on EngineImage inputs one by one.
TEST(Int8Accuracy, EqualsTheImageByImageCount) {
  const core::OfaSpace space = core::FashionMnistSpace();
  const auto splits = LoadedTrainAndValidation();
  ASSERT_TRUE(splits);
  const data::ImageSet *train = &splits->first, *validation = &splits->second;
  torch::manual_seed(10);
  supernet::Supernet net(space);
  core::SubnetConfig config = core::SmallestSubnet(space);
  config.resolution = 24;  // resized from 28
  supernet::EvalOptions bn;
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
    const std::vector<int8_t> out =
        interpreter.value()
            .Invoke(engine::QuantizeInput(model.value(), EngineImage(*validation, i, config.resolution)))
            .value();
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
  data::ImageSet relabelled = *validation;
  for (int i = 0; i < images; ++i) relabelled.labels[static_cast<size_t>(i)] = static_cast<uint8_t>(predictions[i]);
  core::Result<double> all = Int8Accuracy(model.value(), relabelled, config.resolution, images);
  ASSERT_TRUE(all.ok());
  EXPECT_DOUBLE_EQ(all.value(), 1.0);
}

// A data set other than the config's gets its own supernet directory unless one was chosen.
TEST(TrainConfigFor, AnotherDataSetTrainsIntoItsOwnCheckpointDirectory) {
  const std::string config = kilonas::testing::SourcePath("configs/supernet_rgb32_quick.json");
  SupernetChoice choice{config, "out/supernet/rgb32_quick", "folder:/data/my icons"};
  choice.checkpoint_dir_chosen = false;  // the search config's default
  EXPECT_EQ(TrainConfigFor(choice).value().checkpoint_dir, "out/supernet/rgb32_quick-my_icons");
  choice.checkpoint_dir_chosen = true;  // --supernet-dir
  EXPECT_EQ(TrainConfigFor(choice).value().checkpoint_dir, "out/supernet/rgb32_quick");
  choice = SupernetChoice{config, "", ""};  // the config's own data set: its own directory
  EXPECT_EQ(TrainConfigFor(choice).value().checkpoint_dir, "out/supernet/rgb32_quick");
}

}  // namespace
}  // namespace kilonas::pipeline
