// Atomic writes that name the file, the byte count and the cause on failure; files verified by
// their manifests (size, CRC-32, tags), including across an interrupted commit.
#include "core/file_io.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "core/checked_file.h"
#include "tests/support/temp_dir.h"

namespace kilonas::core {
namespace {

std::string FreshDir(const std::string& name) {
  const std::string dir = testing::FreshTempPath("io_" + name);
  std::filesystem::create_directories(dir);
  return dir;
}

void FlipByte(const std::string& path, size_t at) {
  std::string text = ReadTextFile(path).value();
  text[at] = static_cast<char>(text[at] ^ 0x10);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

TEST(WriteFileAtomic, AFailedWriteNamesFileBytesAndCauseAndLeavesTheOldFile) {
  const std::string dir = FreshDir("full"), path = dir + "/model.c";
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  // A file-size limit stands in for a full disk: write(2) fails part way with EFBIG.
  ::signal(SIGXFSZ, SIG_IGN);
  rlimit saved{};
  ::getrlimit(RLIMIT_FSIZE, &saved);
  rlimit small = saved;
  small.rlim_cur = 4096;
  ::setrlimit(RLIMIT_FSIZE, &small);
  const Status s = WriteFileAtomic(path, std::string(10000, 'x'));
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path + ": cannot write 10000 bytes"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("File too large"), std::string::npos) << s.message();
  EXPECT_EQ(ReadTextFile(path).value(), "old");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no temporary left
}

TEST(CheckedFile, VerifiesSizeCrcAndTags) {
  const std::string dir = FreshDir("checked"), path = dir + "/state.json";
  const FileTags tags = {{"space", "fmnist"}};
  ASSERT_TRUE(WriteChecked(path, "0123456789abcdef", tags).ok());
  Result<std::string> read = ReadChecked(path, tags, "use --restart");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read.value(), "0123456789abcdef");

  const Status other = VerifyChecked(path, {{"space", "cifar10"}}, "use --restart");
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.message(), path + ": belongs to space 'fmnist', this run's space is 'cifar10'; use --restart");

  FlipByte(path, 8);
  const Status flipped = VerifyChecked(path, tags, "use --restart");
  ASSERT_FALSE(flipped.ok());
  EXPECT_NE(flipped.message().find(path + ": corrupt or modified: 16 bytes with CRC-32"), std::string::npos)
      << flipped.message();
  EXPECT_NE(flipped.message().find("; use --restart"), std::string::npos);

  std::filesystem::remove(ManifestPath(path));
  const Status missing = VerifyChecked(path, tags, "use --restart");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("no manifest " + ManifestPath(path)), std::string::npos) << missing.message();

  std::ofstream(ManifestPath(path)) << "{\"schema_version\": 1, \"file\": \"state.json\", \"bytes\": 16}";
  const Status malformed = VerifyChecked(path, tags, "use --restart");
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.message().find(ManifestPath(path) + ": "), std::string::npos) << malformed.message();
}

// The manifest is committed before the file: killed between the two renames, the old file
// still verifies (and so does the new one once renamed).
TEST(CheckedFile, AnInterruptedCommitLeavesAPairThatVerifies) {
  const std::string dir = FreshDir("interrupted"), path = dir + "/checkpoint.pt";
  ASSERT_TRUE(WriteChecked(path, "first version", {}).ok());
  const std::string manifest_before = ReadTextFile(ManifestPath(path)).value();
  ASSERT_TRUE(WriteChecked(path, "second version", {}).ok());
  const std::string manifest_after = ReadTextFile(ManifestPath(path)).value();
  EXPECT_NE(manifest_before, manifest_after);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "first version";  // the rename never happened
  EXPECT_TRUE(VerifyChecked(path, {}, "").ok());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "third version";
  EXPECT_FALSE(VerifyChecked(path, {}, "").ok());
}

}  // namespace
}  // namespace kilonas::core
