#include "data/image_folder.h"

#include <gtest/gtest.h>
#include <stb/stb_image_write.h>

#include <filesystem>
#include <fstream>

#include "tests/support/temp_dir.h"

namespace kilonas::data {
namespace {
namespace fs = std::filesystem;

// A width x height image of `channels` whose every pixel is `value`, as PNG or JPEG.
void WriteImage(const fs::path& path, int width, int height, int channels, uint8_t value) {
  fs::create_directories(path.parent_path());
  const std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * channels, value);
  const bool png = path.extension() == ".png";
  const int ok = png ? stbi_write_png(path.c_str(), width, height, channels, pixels.data(), width * channels)
                     : stbi_write_jpg(path.c_str(), width, height, channels, pixels.data(), 95);
  ASSERT_NE(ok, 0) << path;
}

TEST(ImageFolder, ClassesInOrderMixedFormatsAndSizesOneChannelCount) {
  const fs::path root = testing::FreshTempPath("image_folder");
  WriteImage(root / "cat" / "a.png", 40, 30, 3, 200);
  WriteImage(root / "cat" / "b.JPG", 20, 20, 1, 100);
  WriteImage(root / "ant" / "c.jpeg", 64, 64, 3, 50);
  std::ofstream(root / "ant" / "notes.txt") << "not an image";
  for (int channels : {1, 3}) {
    const core::Result<ImageFolder> folder = ReadImageFolder(root.string(), channels, 16);
    ASSERT_TRUE(folder.ok()) << folder.error().message;
    EXPECT_EQ(folder.value().class_names, (std::vector<std::string>{"ant", "cat"}));
    const ImageSet& set = folder.value().train;
    ASSERT_EQ(set.size(), 3u);
    EXPECT_EQ(set.labels, (std::vector<uint8_t>{0, 1, 1}));
    EXPECT_EQ(set.rows, 16);
    EXPECT_EQ(set.channels, channels);
    ASSERT_EQ(set.pixels.size(), 3 * set.ImageBytes());
    // Uniform images stay uniform through conversion and resizing (JPEG within a few levels).
    EXPECT_NEAR(set.pixels[0], 50, 3);
    EXPECT_NEAR(set.pixels[set.ImageBytes() + 7], 200, 1);
    EXPECT_NEAR(set.pixels[2 * set.ImageBytes() + 5], 100, 3);
    EXPECT_FALSE(folder.value().test.has_value());
  }
}

TEST(ImageFolder, TrainAndTestFoldersAreTheSplits) {
  const fs::path root = testing::FreshTempPath("image_folder_split");
  WriteImage(root / "train" / "a" / "1.png", 8, 8, 1, 10);
  WriteImage(root / "train" / "b" / "1.png", 8, 8, 1, 20);
  WriteImage(root / "test" / "b" / "1.png", 8, 8, 1, 30);
  const core::Result<ImageFolder> folder = ReadImageFolder(root.string(), 1, 8);
  ASSERT_TRUE(folder.ok()) << folder.error().message;
  EXPECT_EQ(folder.value().train.size(), 2u);
  ASSERT_TRUE(folder.value().test.has_value());
  EXPECT_EQ(folder.value().test->labels, (std::vector<uint8_t>{1}));  // 'b' keeps its training label
  WriteImage(root / "test" / "zebra" / "1.png", 8, 8, 1, 30);
  const core::Result<ImageFolder> stray = ReadImageFolder(root.string(), 1, 8);
  ASSERT_FALSE(stray.ok());
  EXPECT_NE(stray.error().message.find("test/zebra: class 'zebra' is not in"), std::string::npos)
      << stray.error().message;
}

TEST(ImageFolder, EachDefectIsNamed) {
  const fs::path root = testing::FreshTempPath("image_folder_defects");
  auto expect = [&](const std::string& expected) {
    const core::Result<ImageFolder> folder = ReadImageFolder(root.string(), 3, 16);
    ASSERT_FALSE(folder.ok()) << expected;
    EXPECT_NE(folder.error().message.find(expected), std::string::npos) << folder.error().message;
  };
  expect(": no such directory");
  fs::create_directories(root);
  expect(": no class folders");
  fs::create_directories(root / "empty");
  WriteImage(root / "full" / "1.png", 8, 8, 3, 1);
  expect("empty: no images");
  fs::remove(root / "empty");
  expect("one class folder ('full'): a classifier needs at least 2 classes");
  WriteImage(root / "other" / "1.png", 8, 8, 3, 2);
  std::ofstream(root / "full" / "2.png") << "\x89PNG truncated";
  expect("full/2.png: cannot decode (");
}

// Pointed one level too high (the data set is a folder inside): the error names what was found.
// A train/ folder without test/ is the training classes, a share held out for test later.
TEST(ImageFolder, AFolderOneLevelTooHighIsNamedAndTrainWithoutTestIsTheClasses) {
  const fs::path root = testing::FreshTempPath("image_folder_levels");
  for (const char* split : {"train", "test"}) {
    for (const char* label : {"cat", "dog"}) WriteImage(root / "icons" / split / label / "1.png", 8, 8, 3, 9);
  }
  WriteImage(root / "other" / "1.png", 8, 8, 3, 9);
  const core::Result<ImageFolder> high = ReadImageFolder(root.string(), 3, 8);
  ASSERT_FALSE(high.ok());
  EXPECT_NE(high.error().message.find("icons: no images (.png .jpg .jpeg .bmp .ppm .pgm); it holds 2 folders (test, "
                                      "train): is the data set " +
                                      (root / "icons").string() + " itself?"),
            std::string::npos)
      << high.error().message;
  fs::remove_all(root / "icons" / "test");
  const core::Result<ImageFolder> train_only = ReadImageFolder((root / "icons").string(), 3, 8);
  ASSERT_TRUE(train_only.ok()) << train_only.error().message;
  EXPECT_EQ(train_only.value().class_names, (std::vector<std::string>{"cat", "dog"}));
  EXPECT_FALSE(train_only.value().test.has_value());
}

// An icon whose shape lives only in its alpha channel (black on transparent black) keeps it:
// composited over the background, not a uniform black block; a blank image is counted.
TEST(ImageFolder, TransparencyIsCompositedOverTheBackgroundAndBlankImagesCounted) {
  const fs::path root = testing::FreshTempPath("image_folder_alpha");
  std::vector<uint8_t> rgba(8 * 8 * 4, 0);  // transparent black
  for (int y = 2; y < 6; ++y) {
    for (int x = 2; x < 6; ++x) rgba[static_cast<size_t>(4 * (8 * y + x) + 3)] = 255;  // opaque black square
  }
  fs::create_directories(root / "icon");
  ASSERT_NE(stbi_write_png((root / "icon" / "a.png").c_str(), 8, 8, 4, rgba.data(), 32), 0);
  WriteImage(root / "blank" / "b.png", 8, 8, 3, 77);
  const core::Result<ImageFolder> gray = ReadImageFolder(root.string(), 1, 8);
  ASSERT_TRUE(gray.ok()) << gray.error().message;
  EXPECT_EQ(gray.value().composited, 1);
  EXPECT_EQ(gray.value().uniform, 1);  // the blank one only
  const ImageSet& set = gray.value().train;
  ASSERT_EQ(set.labels[1], 1);  // "icon" sorts after "blank"
  const uint8_t* icon = set.pixels.data() + set.ImageBytes();
  EXPECT_EQ(icon[0], 255);        // background: white by default
  EXPECT_EQ(icon[8 * 3 + 3], 0);  // the shape
  const core::Result<ImageFolder> red = ReadImageFolder(root.string(), 3, 8, {200, 0, 0});
  ASSERT_TRUE(red.ok());
  const uint8_t* rgb = red.value().train.pixels.data() + red.value().train.ImageBytes();
  EXPECT_EQ(std::vector<uint8_t>(rgb, rgb + 3), (std::vector<uint8_t>{200, 0, 0}));
}

TEST(ResizeBilinear, KeepsSizeAndInterpolatesLinearRamps) {
  std::vector<uint8_t> ramp(4 * 4);
  for (int y = 0; y < 4; ++y) {
    for (int x = 0; x < 4; ++x) ramp[y * 4 + x] = static_cast<uint8_t>(x * 40);
  }
  EXPECT_EQ(ResizeBilinear(ramp.data(), 4, 4, 1, 4, 4), ramp);
  const std::vector<uint8_t> wide = ResizeBilinear(ramp.data(), 4, 4, 1, 4, 8);
  // Output x maps to input (x + 0.5) / 2 - 0.5: 1.25 -> 50, 1.75 -> 70 on the 40-per-pixel ramp.
  EXPECT_EQ(wide[3], 50);
  EXPECT_EQ(wide[4], 70);
  EXPECT_EQ(wide[0], 0);
  EXPECT_EQ(wide[7], 120);
}

}  // namespace
}  // namespace kilonas::data
