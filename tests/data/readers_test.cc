#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "data/cifar.h"
#include "data/idx.h"
#include "tests/support/temp_dir.h"

namespace kilonas::data {
namespace {

void Put32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}

void WritePlain(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

void WriteGzip(const std::string& path, const std::string& bytes) {
  gzFile file = gzopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())), static_cast<int>(bytes.size()));
  gzclose(file);
}

// An IDX pair of `count` images of rows x cols whose pixel (i, y, x) is i + y + x, labels i % 10.
std::pair<std::string, std::string> IdxBytes(uint32_t count, uint32_t rows, uint32_t cols) {
  std::string images, labels;
  Put32(images, 0x803), Put32(images, count), Put32(images, rows), Put32(images, cols);
  Put32(labels, 0x801), Put32(labels, count);
  for (uint32_t i = 0; i < count; ++i) {
    for (uint32_t p = 0; p < rows * cols; ++p) images.push_back(static_cast<char>(i + p / cols + p % cols));
    labels.push_back(static_cast<char>(i % 10));
  }
  return {images, labels};
}

TEST(IdxReader, ReadsPlainAndGzipPairsAlike) {
  const std::string dir = testing::FreshTempPath("idx_reader");
  std::filesystem::create_directories(dir);
  const auto [images, labels] = IdxBytes(12, 5, 7);
  WritePlain(dir + "/images", images);
  WritePlain(dir + "/labels", labels);
  WriteGzip(dir + "/images.gz", images);
  WriteGzip(dir + "/labels.gz", labels);
  const core::Result<ImageSet> plain = ReadIdxPair(dir + "/images", dir + "/labels", 10);
  const core::Result<ImageSet> gzip = ReadIdxPair(dir + "/images.gz", dir + "/labels.gz", 10);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  ASSERT_TRUE(gzip.ok()) << gzip.error().message;
  EXPECT_EQ(plain.value().size(), 12u);
  EXPECT_EQ(plain.value().rows, 5);
  EXPECT_EQ(plain.value().cols, 7);
  EXPECT_EQ(plain.value().channels, 1);
  EXPECT_EQ(plain.value().pixels[3 * 35 + 2 * 7 + 4], 3 + 2 + 4);  // image 3, y 2, x 4
  EXPECT_EQ(plain.value().labels[11], 1);
  EXPECT_EQ(plain.value().pixels, gzip.value().pixels);
  EXPECT_EQ(plain.value().labels, gzip.value().labels);
}

TEST(IdxReader, EachDefectIsNamedWithItsFile) {
  const std::string dir = testing::FreshTempPath("idx_defects");
  std::filesystem::create_directories(dir);
  const auto [images, labels] = IdxBytes(4, 3, 3);
  WritePlain(dir + "/labels", labels);
  auto expect_error = [&](const std::string& image_bytes, const std::string& label_bytes, int classes,
                          const std::string& expected) {
    WritePlain(dir + "/i", image_bytes);
    WritePlain(dir + "/l", label_bytes);
    const core::Result<ImageSet> set = ReadIdxPair(dir + "/i", dir + "/l", classes);
    ASSERT_FALSE(set.ok()) << expected;
    EXPECT_NE(set.error().message.find(expected), std::string::npos) << set.error().message;
  };
  expect_error(images.substr(0, images.size() - 1), labels, 10, "/i: truncated");
  expect_error("\x01\x02" + images.substr(2), labels, 10, "/i: not an IDX image file");
  expect_error(images, labels.substr(0, labels.size() - 1), 10, "/l: truncated (3 of the 4 bytes");
  expect_error(images + "x", labels, 10, "/i: more data than its header declares");
  std::string huge = images;  // 2^31 images of 3x3: refused from the header, nothing allocated
  huge[4] = '\x80';
  expect_error(huge, labels, 10, "/i: declares 2147483652 images of 3x3 (19327352868 bytes), more than the");
  expect_error(images, labels, 3, "/l: label 3 out of range 0..2");
  expect_error(IdxBytes(0, 3, 3).first, IdxBytes(0, 3, 3).second, 10, "/i: declares 0 images");
  // A small .gz that inflates far beyond what its header declares is stopped at the declared size.
  WriteGzip(dir + "/bomb.gz", images + std::string(64 << 20, '\0'));
  const core::Result<ImageSet> bomb = ReadIdxPair(dir + "/bomb.gz", dir + "/labels", 10);
  ASSERT_FALSE(bomb.ok());
  EXPECT_NE(bomb.error().message.find("/bomb.gz: more data than its header declares"), std::string::npos)
      << bomb.error().message;
  const core::Result<ImageSet> missing = ReadIdxPair(dir + "/none", dir + "/labels", 10);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/none: not found"), std::string::npos);
}

// Two CIFAR records; pixel (y, x) of channel c of record r is r * 7 + c * 3 + y + x.
std::string CifarBytes(int label_bytes, const std::vector<int>& labels) {
  std::string out;
  for (size_t r = 0; r < labels.size(); ++r) {
    if (label_bytes == 2) out.push_back(static_cast<char>(labels[r] / 5));  // coarse label
    out.push_back(static_cast<char>(labels[r]));
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 1024; ++p) out.push_back(static_cast<char>(r * 7 + c * 3 + p / 32 + p % 32));
    }
  }
  return out;
}

TEST(CifarReader, PlanesBecomeInterleavedRgbAndCifar100UsesTheFineLabel) {
  const std::string dir = testing::FreshTempPath("cifar_reader");
  std::filesystem::create_directories(dir);
  WritePlain(dir + "/b1.bin", CifarBytes(1, {3, 9}));
  WritePlain(dir + "/b2.bin", CifarBytes(1, {0}));
  const core::Result<ImageSet> ten = ReadCifarBatches({dir + "/b1.bin", dir + "/b2.bin"}, CifarKind::kCifar10);
  ASSERT_TRUE(ten.ok()) << ten.error().message;
  ASSERT_EQ(ten.value().size(), 3u);
  EXPECT_EQ(ten.value().channels, 3);
  EXPECT_EQ(ten.value().labels, (std::vector<uint8_t>{3, 9, 0}));
  const ImageSet& set = ten.value();
  const size_t at = set.ImageBytes() * 1 + (5 * 32 + 6) * 3 + 2;  // record 1, y 5, x 6, blue
  EXPECT_EQ(set.pixels[at], 1 * 7 + 2 * 3 + 5 + 6);
  WritePlain(dir + "/train.bin", CifarBytes(2, {42, 99}));
  const core::Result<ImageSet> hundred = ReadCifarBatches({dir + "/train.bin"}, CifarKind::kCifar100);
  ASSERT_TRUE(hundred.ok()) << hundred.error().message;
  EXPECT_EQ(hundred.value().labels, (std::vector<uint8_t>{42, 99}));
}

TEST(CifarReader, TruncatedFilesAndBadLabelsAreNamed) {
  const std::string dir = testing::FreshTempPath("cifar_defects");
  std::filesystem::create_directories(dir);
  const std::string good = CifarBytes(1, {1, 2});
  WritePlain(dir + "/short.bin", good.substr(0, good.size() - 5));
  WritePlain(dir + "/label.bin", CifarBytes(1, {1, 12}));
  const core::Result<ImageSet> truncated = ReadCifarBatches({dir + "/short.bin"}, CifarKind::kCifar10);
  ASSERT_FALSE(truncated.ok());
  EXPECT_NE(truncated.error().message.find("short.bin: 6141 bytes, not a whole number of 3073-byte CIFAR-10 records"),
            std::string::npos)
      << truncated.error().message;
  const core::Result<ImageSet> label = ReadCifarBatches({dir + "/label.bin"}, CifarKind::kCifar10);
  ASSERT_FALSE(label.ok());
  EXPECT_NE(label.error().message.find("label.bin: record 1: label 12 out of range 0..9"), std::string::npos)
      << label.error().message;
  // A CIFAR-10 file read as CIFAR-100 does not divide into records.
  const core::Result<ImageSet> other = ReadCifarBatches({dir + "/label.bin"}, CifarKind::kCifar100);
  ASSERT_FALSE(other.ok());
  EXPECT_NE(other.error().message.find("CIFAR-100 records"), std::string::npos) << other.error().message;
}

}  // namespace
}  // namespace kilonas::data
