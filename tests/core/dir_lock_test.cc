#include "core/dir_lock.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace kilonas::core
