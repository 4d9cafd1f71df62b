#include "core/dir_lock.h"

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
