// Atomic writes that name the file, the byte count and the cause on failure; files verified by
// their manifests (size, CRC-32, tags), including across an interrupted commit.
#include "core/file_io.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
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

// A directory is replaced as a whole only when it holds nothing but what the earlier output wrote
// (its list of owned files) and the lock file, which stays the same inode: a file anyone else put
// there (the user's notes, a search's report) makes the replacement a refusal naming it.
TEST(ReplaceDirectory, ReplacesOnlyWhatTheEarlierOutputWroteAndKeepsTheLock) {
  namespace fs = std::filesystem;
  const std::string root = FreshDir("replace"), target = root + "/export";
  auto stage = [&](const std::vector<std::string>& names) {
    const std::string staged = FreshStagingDirectory(target);
    for (const std::string& name : names) EXPECT_TRUE(WriteFileAtomic(staged + "/" + name, name).ok());
    return staged;
  };
  ASSERT_TRUE(ReplaceDirectory(stage({"model.kmodel", "model.c"}), target, "model.kmodel").ok());
  EXPECT_EQ(ReadTextFile(target + "/" + kOwnedFilesName).value(), "model.c\nmodel.kmodel\n");
  ASSERT_TRUE(WriteFileAtomic(target + "/.kilonas.lock", "").ok());
  struct stat before {};
  ASSERT_EQ(stat((target + "/.kilonas.lock").c_str(), &before), 0);

  ASSERT_TRUE(WriteFileAtomic(target + "/notes.txt", "mine").ok());
  const std::string staged = stage({"model.kmodel"});
  const Status refused = ReplaceDirectory(staged, target, "model.kmodel");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find(target + ": holds 'notes.txt', which the earlier output there did not write"),
            std::string::npos)
      << refused.message();
  EXPECT_EQ(CheckReplaceable(target, "model.kmodel").message(), refused.message());
  EXPECT_TRUE(fs::exists(target + "/model.c"));  // untouched
  EXPECT_EQ(ReadTextFile(target + "/notes.txt").value(), "mine");

  fs::remove(target + "/notes.txt");
  ASSERT_TRUE(ReplaceDirectory(staged, target, "model.kmodel").ok());
  EXPECT_FALSE(fs::exists(target + "/model.c"));  // the earlier output's own file, replaced
  EXPECT_TRUE(fs::exists(target + "/model.kmodel"));
  struct stat after {};
  ASSERT_EQ(stat((target + "/.kilonas.lock").c_str(), &after), 0);
  EXPECT_EQ(after.st_ino, before.st_ino);

  // A folder no output of this kind wrote (no list, no model file) is refused before any work.
  const std::string foreign = root + "/notes";
  ASSERT_TRUE(WriteFileAtomic(foreign + "/notes.txt", "x").ok());
  EXPECT_NE(CheckReplaceable(foreign, "model.kmodel").message().find("holds 'notes.txt', which no earlier output"),
            std::string::npos);
  // An export from before the lists (a model file, no list) is replaced only if it holds nothing
  // the new export does not write: a search's report beside it is named.
  const std::string legacy = root + "/search";
  ASSERT_TRUE(WriteFileAtomic(legacy + "/model.kmodel", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(legacy + "/model.c", "x").ok());
  ASSERT_TRUE(WriteFileAtomic(legacy + "/report.md", "x").ok());
  EXPECT_TRUE(CheckReplaceable(legacy, "model.kmodel").ok());  // not known before the new export exists
  const Status not_ours = ReplaceDirectory(stage({"model.kmodel", "model.c"}), legacy, "model.kmodel");
  ASSERT_FALSE(not_ours.ok());
  EXPECT_NE(not_ours.message().find("holds 'report.md', which the earlier output there did not write"),
            std::string::npos)
      << not_ours.message();
  EXPECT_TRUE(fs::exists(legacy + "/report.md"));
  fs::remove(legacy + "/report.md");
  EXPECT_TRUE(ReplaceDirectory(stage({"model.kmodel", "model.c"}), legacy, "model.kmodel").ok());
  EXPECT_TRUE(fs::exists(legacy + "/" + kOwnedFilesName));  // from now on a listed output
}

}  // namespace
}  // namespace kilonas::core
