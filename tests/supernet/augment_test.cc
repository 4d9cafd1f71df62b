#include "supernet/augment.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace kilonas::supernet {
namespace {

// Random non-zero images, so that an erased pixel that happens to keep its value is rare and a
// translation shows as zeros.
ImageSet RandomImages(int count, int side) {
  ImageSet set;
  set.rows = set.cols = side;
  std::mt19937 rng(7);
  for (int i = 0; i < count * side * side; ++i) set.pixels.push_back(static_cast<uint8_t>(1 + rng() % 255));
  set.labels.assign(count, 0);
  return set;
}

TrainConfig Augmentation(int shift, bool flip, double erase) {
  TrainConfig c;
  c.augment_shift = shift;
  c.augment_flip = flip;
  c.augment_erase = erase;
  return c;
}

std::vector<int64_t> AllIndices(const ImageSet& set) {
  std::vector<int64_t> indices(set.size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
  return indices;
}

TEST(Augment, NothingOnLeavesTheImagesAlone) {
  const ImageSet set = RandomImages(16, 28);
  const torch::Tensor out = AugmentedBatch(set, AllIndices(set), 1, 0, Augmentation(0, false, 0));
  EXPECT_TRUE(std::equal(set.pixels.begin(), set.pixels.end(), out.data_ptr<uint8_t>()));
}

// Every image is changed inside one rectangle of 2-40% of its area and nowhere else.
TEST(Augment, ErasingChangesOneRectangleOfTwoToFortyPercentOfEachImage) {
  const int side = 28, count = 200;
  const ImageSet set = RandomImages(count, side);
  const torch::Tensor out = AugmentedBatch(set, AllIndices(set), 3, 0, Augmentation(0, false, 1.0));
  const uint8_t* erased = out.data_ptr<uint8_t>();
  for (int i = 0; i < count; ++i) {
    int top = side, bottom = -1, left = side, right = -1, changed = 0;
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) {
        const size_t at = static_cast<size_t>(i) * side * side + y * side + x;
        if (erased[at] == set.pixels[at]) continue;
        ++changed;
        top = std::min(top, y), bottom = std::max(bottom, y), left = std::min(left, x), right = std::max(right, x);
      }
    }
    ASSERT_GT(changed, 0) << "image " << i;
    const int box = (bottom - top + 1) * (right - left + 1);
    EXPECT_LE(box, 0.4 * side * side + 2 * side) << "image " << i;  // + rounding of the sides
    EXPECT_GE(changed, 0.9 * box) << "image " << i << ": changes scattered outside one rectangle";
  }
}

// A batch cut into shards (one per rank) is augmented as the whole batch: each image's draws
// depend on the stream and its position in the batch only.
TEST(Augment, ShardsOfABatchAreAugmentedAsTheWholeBatch) {
  const ImageSet set = RandomImages(32, 28);
  const std::vector<int64_t> all = AllIndices(set);
  const TrainConfig config = Augmentation(2, true, 0.5);
  const torch::Tensor whole = AugmentedBatch(set, all, 11, 0, config);
  const std::vector<int64_t> head(all.begin(), all.begin() + 13), tail(all.begin() + 13, all.end());
  EXPECT_TRUE(torch::equal(
      whole, torch::cat({AugmentedBatch(set, head, 11, 0, config), AugmentedBatch(set, tail, 11, 13, config)})));
  EXPECT_FALSE(torch::equal(whole, AugmentedBatch(set, all, 12, 0, config)));  // another step: other draws
}

TEST(Augment, SameSeedSameBatch) {
  const ImageSet set = RandomImages(32, 28);
  EXPECT_TRUE(torch::equal(AugmentedBatch(set, AllIndices(set), 9, 0, Augmentation(2, true, 0.5)),
                           AugmentedBatch(set, AllIndices(set), 9, 0, Augmentation(2, true, 0.5))));
}

}  // namespace
}  // namespace kilonas::supernet

namespace kilonas::supernet {
namespace {

TEST(CheckImagesFitSpace, ImagesOfAnotherChannelCountOrWithoutStatisticsAreNamed) {
  ImageSet rgb;
  rgb.rows = rgb.cols = 32;
  rgb.channels = 3;
  const core::Status s = CheckImagesFitSpace(rgb, core::FashionMnistSpace(), "cifar10/data_batch_1.bin");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "cifar10/data_batch_1.bin: images have 3 channel(s); space 'fmnist' takes 1");
  rgb.channels = 1;
  EXPECT_NE(CheckImagesFitSpace(rgb, core::FashionMnistSpace(), "gray").message().find("normalisation has 0 mean(s)"),
            std::string::npos);
  rgb.normalization = {{0.5f}, {0.0f}};
  EXPECT_NE(CheckImagesFitSpace(rgb, core::FashionMnistSpace(), "gray").message().find("standard deviation is 0"),
            std::string::npos);
  rgb.normalization = {{0.5f}, {0.25f}};
  EXPECT_TRUE(CheckImagesFitSpace(rgb, core::FashionMnistSpace(), "gray").ok());
}

// RGB images: shifting and flipping move whole pixels (the channels of a pixel stay together and
// in order), and the input is NCHW with each channel normalised by its own statistics.
TEST(Augment, RgbPixelsMoveWholeAndEachChannelIsNormalisedByItsOwnStatistics) {
  ImageSet set;
  set.rows = set.cols = 8;
  set.channels = 3;
  std::mt19937 rng(4);
  for (int i = 0; i < 4 * 64; ++i) {
    const auto r = static_cast<uint8_t>(1 + rng() % 200);
    set.pixels.insert(set.pixels.end(), {r, static_cast<uint8_t>(r + 20), static_cast<uint8_t>(r + 40)});
  }
  set.labels.assign(4, 0);
  set.normalization = {{0.1f, 0.2f, 0.3f}, {0.5f, 0.25f, 0.125f}};
  const torch::Tensor out = AugmentedBatch(set, AllIndices(set), 2, 0, Augmentation(2, true, 0));
  const uint8_t* p = out.data_ptr<uint8_t>();
  int moved = 0;
  for (int64_t px = 0; px < out.numel() / 3; ++px) {
    const uint8_t r = p[3 * px], g = p[3 * px + 1], b = p[3 * px + 2];
    if (r == 0 && g == 0 && b == 0) continue;  // shifted in
    ASSERT_EQ(g, r + 20) << "pixel " << px;
    ASSERT_EQ(b, r + 40) << "pixel " << px;
    moved += r != set.pixels[3 * px];
  }
  EXPECT_GT(moved, 0);
  const torch::Tensor x = ToInput(set, {1}, 8);
  ASSERT_EQ(x.sizes(), (std::vector<int64_t>{1, 3, 8, 8}));
  for (int c = 0; c < 3; ++c) {
    const float pixel = set.pixels[64 * 3 + 5 * 8 * 3 + 6 * 3 + c];  // image 1, y 5, x 6
    EXPECT_FLOAT_EQ(x[0][c][5][6].item<float>(),
                    (pixel / 255.0f - set.normalization.mean[c]) / set.normalization.std[c]);
  }
}

}  // namespace
}  // namespace kilonas::supernet
