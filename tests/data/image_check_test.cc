// Damaged and absurd image files are one error naming the file and what is wrong, where stb_image
// alone would decode garbage, zeros or allocate what the header claims.
#include "data/image_check.h"

#include <gtest/gtest.h>
#include <stb/stb_image_write.h>
#include <sys/stat.h>
#include <zlib.h>

#include <filesystem>

#include "core/file_io.h"
#include "data/image_folder.h"
#include "tests/support/temp_dir.h"

namespace kilonas::data {
namespace {
namespace fs = std::filesystem;

// A 12 x 10 RGB gradient written by stb_image_write as `ext` (png, bmp, jpg), read back whole.
std::string Encoded(const std::string& ext) {
  const fs::path path = fs::path(testing::FreshTempPath("image_check_" + ext)) / ("a." + ext);
  fs::create_directories(path.parent_path());
  std::vector<uint8_t> pixels(12 * 10 * 3);
  for (size_t i = 0; i < pixels.size(); ++i) pixels[i] = static_cast<uint8_t>(i * 7);
  const int ok = ext == "png"   ? stbi_write_png(path.c_str(), 12, 10, 3, pixels.data(), 36)
                 : ext == "bmp" ? stbi_write_bmp(path.c_str(), 12, 10, 3, pixels.data())
                                : stbi_write_jpg(path.c_str(), 12, 10, 3, pixels.data(), 90);
  EXPECT_NE(ok, 0);
  return core::ReadTextFile(path.string()).value();
}

std::string ErrorOf(const std::string& bytes) {
  const core::Status s = CheckImageBytes("img", bytes);
  return s.ok() ? "" : s.message();
}

// The offset of the first chunk of `type` in a PNG (its length field).
size_t ChunkAt(const std::string& png, const std::string& type) { return png.find(type) - 4; }

void FixCrc(std::string& png, size_t chunk) {
  const uint32_t length = static_cast<uint8_t>(png[chunk]) << 24 | static_cast<uint8_t>(png[chunk + 1]) << 16 |
                          static_cast<uint8_t>(png[chunk + 2]) << 8 | static_cast<uint8_t>(png[chunk + 3]);
  const uint32_t crc =
      static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(png.data() + chunk + 4), length + 4));
  for (int i = 0; i < 4; ++i) png[chunk + 8 + length + i] = static_cast<char>(crc >> (24 - 8 * i));
}

TEST(CheckImageBytes, WellFormedFilesPass) {
  for (const char* ext : {"png", "bmp", "jpg"}) EXPECT_EQ(ErrorOf(Encoded(ext)), "") << ext;
  EXPECT_EQ(ErrorOf("P5\n# comment\n3 2\n255\n" + std::string(6, '\x40')), "");
  EXPECT_EQ(ErrorOf("P6 1 1 65535\n" + std::string(6, '\x01')), "");
}

TEST(CheckImageBytes, DamagedPngIsRefusedByChunkCrcAdlerOrLength) {
  const std::string png = Encoded("png");
  const size_t idat = ChunkAt(png, "IDAT");
  std::string flipped = png;
  flipped[idat + 10] = static_cast<char>(flipped[idat + 10] ^ 0x01);
  EXPECT_NE(ErrorOf(flipped).find("img: damaged PNG (CRC mismatch in chunk IDAT)"), std::string::npos)
      << ErrorOf(flipped);
  // The same damage with the chunk's CRC made to match: zlib's Adler-32 (or its codes) still see it.
  const size_t last = idat + 8 + (static_cast<uint8_t>(png[idat + 2]) << 8 | static_cast<uint8_t>(png[idat + 3])) - 1;
  std::string adler = png;
  adler[last] = static_cast<char>(adler[last] ^ 0x01);  // the stream's Adler-32 ends the chunk's data
  FixCrc(adler, idat);
  EXPECT_NE(ErrorOf(adler).find("img: damaged PNG image data (incorrect data check)"), std::string::npos)
      << ErrorOf(adler);
  EXPECT_NE(ErrorOf(png.substr(0, ChunkAt(png, "IEND"))).find("img: truncated PNG (no IEND chunk)"), std::string::npos);
  EXPECT_NE(ErrorOf(png.substr(0, idat + 20)).find("img: truncated PNG"), std::string::npos);
}

TEST(CheckImageBytes, PnmHeaderAndPixelBytesAreChecked) {
  EXPECT_NE(ErrorOf("P6\n3000 3000\n255\n" + std::string(100, 'x'))
                .find("img: truncated PNM: declares 3000x3000 (27000000 bytes of pixels), has 100"),
            std::string::npos);
  EXPECT_NE(ErrorOf("P5 4 4 0\n" + std::string(16, 'x')).find("img: PNM maxval 0 (must be 1..65535)"),
            std::string::npos);
  EXPECT_NE(ErrorOf("P5 4 x").find("img: malformed PNM header"), std::string::npos);
  // A size that would need 37 GB is refused before anything is allocated.
  EXPECT_NE(ErrorOf("P5 100000 100000 255\n" + std::string(16, 'x')).find("declares 100000x100000 pixels, more than"),
            std::string::npos)
      << ErrorOf("P5 100000 100000 255\n");
}

TEST(CheckImageBytes, TruncatedBmpAndJpegAreRefused) {
  const std::string bmp = Encoded("bmp"), jpg = Encoded("jpg");
  EXPECT_NE(ErrorOf(bmp.substr(0, bmp.size() - 50)).find("img: truncated BMP: declares 12x10"), std::string::npos)
      << ErrorOf(bmp.substr(0, bmp.size() - 50));
  EXPECT_NE(ErrorOf(bmp.substr(0, 20)).find("img: truncated BMP header"), std::string::npos);
  EXPECT_NE(ErrorOf(jpg.substr(0, jpg.size() / 2)).find("img: truncated JPEG (no end-of-image marker)"),
            std::string::npos);
}

// In a folder: a damaged file and a symbolic link loop are named; a FIFO with an image's name is
// not a file and is skipped (never opened: it would wait for a writer).
TEST(ImageFolderInput, DamagedFilesLinkLoopsAndFifosEndInOneLine) {
  const fs::path root = testing::FreshTempPath("image_folder_hostile");
  fs::create_directories(root / "a");
  fs::create_directories(root / "b");
  ASSERT_TRUE(core::WriteFileAtomic((root / "a" / "ok.png").string(), Encoded("png")).ok());
  ASSERT_TRUE(core::WriteFileAtomic((root / "b" / "ok.bmp").string(), Encoded("bmp")).ok());
  ASSERT_EQ(mkfifo((root / "b" / "pipe.png").c_str(), 0644), 0);
  ASSERT_TRUE(ReadImageFolder(root.string(), 3, 8).ok());

  fs::create_symlink("loop", root / "loop");  // a link to itself
  const core::Result<ImageFolder> looped = ReadImageFolder(root.string(), 3, 8);
  ASSERT_FALSE(looped.ok());
  EXPECT_NE(looped.error().message.find((root / "loop").string() + ": cannot read ("), std::string::npos)
      << looped.error().message;
  fs::remove(root / "loop");

  const std::string png = Encoded("png");
  ASSERT_TRUE(core::WriteFileAtomic((root / "a" / "bad.png").string(), png.substr(0, png.size() - 20)).ok());
  const core::Result<ImageFolder> damaged = ReadImageFolder(root.string(), 3, 8);
  ASSERT_FALSE(damaged.ok());
  EXPECT_NE(damaged.error().message.find("a/bad.png: truncated PNG"), std::string::npos) << damaged.error().message;
}

// Names in any script are kept as written (class names in UTF-8); a link to an image is read as
// the image; a zero-byte file and a link to nothing are each one error naming the file.
TEST(ImageFolderInput, UnicodeNamesLinksAndEmptyFiles) {
  const fs::path root = testing::FreshTempPath("image_folder_unicode");
  fs::create_directories(root / "\u00c4pfel");
  fs::create_directories(root / "\u68a8");
  ASSERT_TRUE(core::WriteFileAtomic((root / "\u00c4pfel" / "\u00f1 1.png").string(), Encoded("png")).ok());
  ASSERT_TRUE(core::WriteFileAtomic((root / "\u68a8" / "\U0001f350.bmp").string(), Encoded("bmp")).ok());
  fs::create_symlink(root / "\u68a8" / "\U0001f350.bmp", root / "\u68a8" / "link.bmp");
  const core::Result<ImageFolder> read = ReadImageFolder(root.string(), 3, 8);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read.value().class_names, (std::vector<std::string>{"\u00c4pfel", "\u68a8"}));
  EXPECT_EQ(read.value().train.labels.size(), 3u);

  ASSERT_TRUE(core::WriteFileAtomic((root / "\u68a8" / "leer.png").string(), "").ok());
  const core::Result<ImageFolder> empty = ReadImageFolder(root.string(), 3, 8);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("leer.png: empty file"), std::string::npos) << empty.error().message;
  fs::remove(root / "\u68a8" / "leer.png");

  fs::create_symlink(root / "none.png", root / "\u00c4pfel" / "gone.png");
  const core::Result<ImageFolder> dangling = ReadImageFolder(root.string(), 3, 8);
  ASSERT_FALSE(dangling.ok());
  EXPECT_NE(dangling.error().message.find("gone.png"), std::string::npos) << dangling.error().message;
}

}  // namespace
}  // namespace kilonas::data
