#include "core/dir_lock.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "core/file_io.h"
#include "tests/support/temp_dir.h"

namespace kilonas::core {
namespace {

std::string FreshDir(const std::string& name) { return testing::FreshTempPath("lock_" + name); }

TEST(DirLock, ASecondRunOnALockedDirectoryIsRefusedNamingTheOwner) {
  const std::string dir = FreshDir("busy");
  Result<DirLock> first = DirLock::Acquire(dir, "nas_search");
  ASSERT_TRUE(first.ok()) << first.error().message;
  const Result<DirLock> second = DirLock::Acquire(dir, "nas_search");
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find(dir + " is in use by nas_search (pid " + std::to_string(getpid()) + ")"),
            std::string::npos)
      << second.error().message;
  { DirLock released = std::move(first).value(); }
  std::string note;
  EXPECT_TRUE(DirLock::Acquire(dir, "nas_search", &note).ok());
  EXPECT_EQ(note, "");  // a clean exit leaves no owner behind
}

TEST(DirLock, TheLockOfARunThatDiedIsTakenOverWithANote) {
  const std::string dir = FreshDir("stale");
  ASSERT_TRUE(WriteFileAtomic(dir + "/.kilonas.lock", "nas_train (pid 999999)\n").ok());  // no flock held
  std::string note;
  const Result<DirLock> lock = DirLock::Acquire(dir, "nas_train", &note);
  ASSERT_TRUE(lock.ok()) << lock.error().message;
  EXPECT_NE(note.find("taking over " + dir + "/.kilonas.lock from nas_train (pid 999999)"), std::string::npos) << note;
  EXPECT_NE(ReadTextFile(dir + "/.kilonas.lock").value().find("pid " + std::to_string(getpid())), std::string::npos);
}

// Readers share, writers exclude: searches on one supernet run together; training into it waits
// for them, and they for it; a reader becomes the writer only when it is the only run.
TEST(DirLock, ReadersShareWritersExclude) {
  const std::string dir = FreshDir("shared");
  std::filesystem::create_directories(dir);
  Result<DirLock> first = DirLock::AcquireShared(dir);
  Result<DirLock> second = DirLock::AcquireShared(dir);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_FALSE(first.value().exclusive());
  const Result<DirLock> writer = DirLock::Acquire(dir, "nas_train");
  ASSERT_FALSE(writer.ok());
  EXPECT_NE(writer.error().message.find(dir + " is being read by another run"), std::string::npos)
      << writer.error().message;
  const Status refused = first.value().Upgrade("nas_search");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.message().find("is being read by another run"), std::string::npos) << refused.message();
  { DirLock gone = std::move(second).value(); }
  ASSERT_TRUE(first.value().Upgrade("nas_search").ok());
  EXPECT_TRUE(first.value().exclusive());
  const Result<DirLock> reader = DirLock::AcquireShared(dir);
  ASSERT_FALSE(reader.ok());
  EXPECT_NE(reader.error().message.find(dir + " is being written by nas_search (pid " + std::to_string(getpid()) + ")"),
            std::string::npos)
      << reader.error().message;
}

// A folder where no lock file can be made (a read-only mount; here a folder without write
// permission, or for root, who may write anywhere, sysfs) is read without a lock and never written.
TEST(DirLock, AReadOnlyFolderIsReadWithoutALockAndNotWritten) {
  std::string dir = FreshDir("read_only");
  std::filesystem::create_directories(dir);
  chmod(dir.c_str(), 0555);
  auto writable = [](const std::string& folder) {
    const std::string probe = folder + "/.probe";
    const int fd = open(probe.c_str(), O_WRONLY | O_CREAT, 0644);
    if (fd < 0) return false;
    close(fd);
    unlink(probe.c_str());
    return true;
  };
  if (writable(dir)) dir = "/sys/kernel";
  if (!std::filesystem::is_directory(dir) || writable(dir)) GTEST_SKIP() << "no read-only folder";
  Result<DirLock> reader = DirLock::AcquireShared(dir);
  ASSERT_TRUE(reader.ok()) << reader.error().message;
  const Status write = reader.value().Upgrade("nas_search");
  ASSERT_FALSE(write.ok());
  EXPECT_NE(write.message().find(dir + ": cannot write here"), std::string::npos) << write.message();
  EXPECT_FALSE(std::filesystem::exists(dir + "/.kilonas.lock"));
}

// A lock file that is a symbolic link is refused without touching its target; a foreign lock's
// content is never echoed; a FIFO in its place neither blocks nor is taken.
TEST(DirLock, SymlinksFifosAndForeignContentAreRefusedOrNotEchoed) {
  const std::string dir = FreshDir("hostile");
  const std::string target = dir + "/precious.txt";
  ASSERT_TRUE(WriteFileAtomic(target, "secret first line\nmore\n").ok());
  std::filesystem::create_symlink(target, dir + "/.kilonas.lock");
  const Result<DirLock> linked = DirLock::Acquire(dir, "nas_search");
  ASSERT_FALSE(linked.ok());
  EXPECT_NE(linked.error().message.find("symbolic link"), std::string::npos) << linked.error().message;
  EXPECT_EQ(linked.error().message.find("secret"), std::string::npos);
  EXPECT_EQ(ReadTextFile(target).value(), "secret first line\nmore\n");

  std::filesystem::remove(dir + "/.kilonas.lock");
  ASSERT_EQ(mkfifo((dir + "/.kilonas.lock").c_str(), 0644), 0);
  const Result<DirLock> fifo = DirLock::Acquire(dir, "nas_search");
  ASSERT_FALSE(fifo.ok());
  EXPECT_NE(fifo.error().message.find("not a plain file"), std::string::npos) << fifo.error().message;

  std::filesystem::remove(dir + "/.kilonas.lock");
  ASSERT_TRUE(WriteFileAtomic(dir + "/.kilonas.lock", "<script>alert(1)</script>\n").ok());
  std::string note;
  ASSERT_TRUE(DirLock::Acquire(dir, "nas_search", &note).ok());
  EXPECT_EQ(note.find("script"), std::string::npos) << note;
}

}  // namespace
}  // namespace kilonas::core
