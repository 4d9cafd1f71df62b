#include "data/dataset.h"

#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace kilonas::data {
namespace {
namespace fs = std::filesystem;

constexpr const char* kFashionMnist = "/usr/share/datasets/fashion-mnist";

TEST(Dataset, FashionMnistIsDetectedAsIdxWithTheFixedValidationSplit) {
  if (!fs::is_directory(kFashionMnist)) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const core::Result<Dataset> set = LoadDataset(kFashionMnist, {});
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set.value().source, std::string("idx:") + kFashionMnist);
  EXPECT_EQ(set.value().train.size(), 50000u);
  EXPECT_EQ(set.value().validation.size(), 10000u);
  EXPECT_EQ(set.value().test.size(), 10000u);
  EXPECT_EQ(set.value().channels(), 1);
  EXPECT_EQ(set.value().num_classes(), 10);
  // Fashion-MNIST's published statistics: mean 0.2860, std 0.3530 over the 60,000 training images.
  ASSERT_EQ(set.value().normalization().mean.size(), 1u);
  EXPECT_NEAR(set.value().normalization().mean[0], 0.2860, 0.002);
  EXPECT_NEAR(set.value().normalization().std[0], 0.3530, 0.002);
  // The explicit format gives the same.
  const core::Result<Dataset> again = LoadDataset(std::string("idx:") + kFashionMnist, {});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.value().validation.pixels, set.value().validation.pixels);
}

void WritePng(const fs::path& path, int side, uint8_t value) {
  fs::create_directories(path.parent_path());
  const std::vector<uint8_t> pixels(static_cast<size_t>(side) * side * 3, value);
  ASSERT_NE(stbi_write_png(path.c_str(), side, side, 3, pixels.data(), side * 3), 0);
}

TEST(Dataset, AFolderWithoutTestImagesHoldsOutASeededShare) {
  const fs::path root = testing::FreshTempPath("dataset_folder");
  for (int c = 0; c < 3; ++c) {
    for (int i = 0; i < 10; ++i)
      WritePng(root / ("class" + std::to_string(c)) / (std::to_string(i) + ".png"), 12, 40 * c);
  }
  DatasetOptions options;
  options.validation_size = 4;
  options.image_side = 8;
  const core::Result<Dataset> set = LoadDataset(root.string(), options);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set.value().source, "folder:" + root.string());
  EXPECT_EQ(set.value().test.size(), 6u);  // 20% of 30
  EXPECT_EQ(set.value().validation.size(), 4u);
  EXPECT_EQ(set.value().train.size(), 20u);
  EXPECT_EQ(set.value().channels(), 3);
  EXPECT_EQ(set.value().train.rows, 8);
  EXPECT_EQ(set.value().class_names, (std::vector<std::string>{"class0", "class1", "class2"}));
  // Every image is uniform 40 * label: the statistics are those of the labels' values.
  for (size_t i = 0; i < set.value().train.size(); ++i) {
    EXPECT_EQ(set.value().train.pixels[i * set.value().train.ImageBytes()], 40 * set.value().train.labels[i]);
  }
  const core::Result<Dataset> too_big = LoadDataset(root.string(), DatasetOptions{24, 3, 8, 0.2});
  ASSERT_FALSE(too_big.ok());
  EXPECT_NE(too_big.error().message.find("24 training images; validation_size 24 must be in [0, 24)"),
            std::string::npos)
      << too_big.error().message;
}

TEST(Dataset, CifarDirectoriesAndTheirClassNames) {
  const fs::path dir = testing::FreshTempPath("dataset_cifar");
  fs::create_directories(dir);
  auto batch = [&](const std::string& name, int records) {
    std::string bytes;
    for (int r = 0; r < records; ++r) {
      bytes.push_back(static_cast<char>(r % 10));
      bytes.append(3072, static_cast<char>(r));
    }
    std::ofstream(dir / name, std::ios::binary) << bytes;
  };
  for (int i = 1; i <= 5; ++i) batch("data_batch_" + std::to_string(i) + ".bin", 4);
  batch("test_batch.bin", 3);
  std::ofstream(dir / "batches.meta.txt") << "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
  DatasetOptions options;
  options.validation_size = 5;
  const core::Result<Dataset> set = LoadDataset(dir.string(), options);
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_EQ(set.value().source, "cifar10:" + dir.string());
  EXPECT_EQ(set.value().train.size(), 15u);
  EXPECT_EQ(set.value().test.size(), 3u);
  EXPECT_EQ(set.value().class_names[9], "truck");
  EXPECT_EQ(set.value().normalization().mean.size(), 3u);
  // A validation size meant for a large data set: refused as given, capped to a share when asked.
  options.validation_size = 10000;
  EXPECT_FALSE(LoadDataset(dir.string(), options).ok());
  options.max_validation_fraction = 0.2;
  const core::Result<Dataset> capped = LoadDataset(dir.string(), options);
  ASSERT_TRUE(capped.ok()) << capped.error().message;
  EXPECT_EQ(capped.value().validation.size(), 4u);  // 20% of 20
  EXPECT_EQ(capped.value().train.size(), 16u);
  options = {};
  options.validation_size = 5;
  std::ofstream(dir / "batches.meta.txt") << "airplane\nautomobile\n";
  const core::Result<Dataset> names = LoadDataset(dir.string(), options);
  ASSERT_FALSE(names.ok());
  EXPECT_NE(names.error().message.find("batches.meta.txt: 2 class names, expected 10"), std::string::npos)
      << names.error().message;
}

TEST(DescribeClasses, CountsEachSplitAndNamesTheMajorityAndChance) {
  Dataset set;
  set.class_names = {"ant", "bee", "cat"};
  set.train.labels = {0, 1, 1, 2};
  set.validation.labels = {1};
  set.test.labels = {2, 2, 2, 0};
  const std::vector<std::string> lines = DescribeClasses(set);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0], "train images per class: ant 1 bee 2 cat 1");
  EXPECT_EQ(lines[2], "test images per class: ant 1 bee 0 cat 3");
  EXPECT_EQ(lines[3], "baselines on the test split: majority class 'cat' 75.0%, chance 33.3%");
}

TEST(DataSetLabel, IsTheLastFolderNameInSafeCharacters) {
  EXPECT_EQ(DataSetLabel("/usr/share/datasets/fashion-mnist"), "fashion-mnist");
  EXPECT_EQ(DataSetLabel("folder:/data/My Icons/"), "My_Icons");
  EXPECT_EQ(DataSetLabel("cifar10:./x"), "x");
  EXPECT_EQ(DataSetLabel("folder:/"), "data");
}

TEST(Dataset, UnknownFormatsAndMissingDirectoriesAreNamed) {
  const fs::path dir = testing::FreshTempPath("dataset_unknown");
  fs::create_directories(dir);
  const core::Result<Dataset> format = LoadDataset("tfrecord:" + dir.string(), {});
  ASSERT_FALSE(format.ok());
  EXPECT_NE(format.error().message.find("unknown data set format 'tfrecord'"), std::string::npos);
  const core::Result<Dataset> missing = LoadDataset(dir.string() + "/none", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/none: no such data set directory"), std::string::npos);
}

}  // namespace
}  // namespace kilonas::data
