#include "core/dir_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <regex>

namespace kilonas::core {
namespace {

// The owner line a kilonas tool wrote ("nas_search (pid 123)"), or "" when the file holds
// anything else: a lock file is not ours to echo.
std::string ReadOwner(int fd) {
  char text[128] = {0};
  const ssize_t n = pread(fd, text, sizeof(text) - 1, 0);
  std::string owner = n > 0 ? std::string(text, static_cast<size_t>(n)) : "";
  while (!owner.empty() && (owner.back() == '\n' || owner.back() == ' ')) owner.pop_back();
  static const std::regex kOwner("nas_[a-z_]+ \\(pid [0-9]{1,10}\\)");
  return std::regex_match(owner, kOwner) ? owner : "";
}

// The lock file of `dir`, opened for writing (or, for a reader, read-only where it cannot be
// written); never through a symbolic link (it would truncate its target), never blocking on a
// FIFO, and only a plain file. `fd` is -1 with an ok status where a reader finds no lock file and
// cannot make one.
Status OpenLockFile(const std::string& path, bool reader, int* fd) {
  *fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (*fd < 0 && reader && (errno == EROFS || errno == EACCES || errno == EPERM)) {
    *fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (*fd < 0 && errno == ENOENT) return Status::Ok();  // read-only and never locked
  }
  if (*fd < 0 && errno == ELOOP)
    return Status::Fail(path + ": is a symbolic link; a lock file must be a plain file (remove it)");
  if (*fd < 0) return Status::Fail(path + ": cannot open the lock file: " + std::strerror(errno));
  struct stat info {};
  if (fstat(*fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(*fd);
    *fd = -1;
    return Status::Fail(path + ": is not a plain file; a lock file must be one (remove it)");
  }
  return Status::Ok();
}

std::string LockPath(const std::string& dir) { return dir + "/.kilonas.lock"; }

std::string BeingRead(const std::string& dir) {
  return dir + " is being read by another run (a search using it); wait for it to finish";
}

// Why an exclusive lock was refused: readers (a shared lock would be granted) or a writer.
std::string InUse(int fd, const std::string& dir, const std::string& owner) {
  if (flock(fd, LOCK_SH | LOCK_NB) == 0) {
    flock(fd, LOCK_UN);
    return BeingRead(dir);
  }
  return dir + " is in use by " + (owner.empty() ? std::string("another run") : owner) +
         " (wait for it, or choose another output directory)";
}

Status WriteOwner(int fd, const std::string& path, const std::string& tool) {
  const std::string owner = tool + " (pid " + std::to_string(getpid()) + ")\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, owner.data(), owner.size(), 0) != static_cast<ssize_t>(owner.size())) {
    return Status::Fail(path + ": cannot write the lock owner: " + std::strerror(errno));
  }
  return Status::Ok();
}

}  // namespace

Result<DirLock> DirLock::Acquire(const std::string& dir, const std::string& tool, std::string* note) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = LockPath(dir);
  int fd = -1;
  if (Status s = OpenLockFile(path, false, &fd); !s.ok()) return s.error();
  const std::string previous = ReadOwner(fd);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    const std::string message =
        error == EWOULDBLOCK ? InUse(fd, dir, previous) : path + ": cannot lock: " + std::strerror(error);
    close(fd);
    return Error{message};
  }
  if (!previous.empty() && note) *note = "taking over " + path + " from " + previous + ", which is no longer running";
  if (Status s = WriteOwner(fd, path, tool); !s.ok()) {
    close(fd);
    return s.error();
  }
  return DirLock(fd, dir, true);
}

Result<DirLock> DirLock::AcquireShared(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);  // where a run may go on to write; fails read-only
  const std::string path = LockPath(dir);
  int fd = -1;
  if (Status s = OpenLockFile(path, true, &fd); !s.ok()) return s.error();
  if (fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) != 0) {
    const int error = errno;
    const std::string owner = ReadOwner(fd);
    close(fd);
    if (error == EWOULDBLOCK) {
      return Error{dir + " is being written by " + (owner.empty() ? std::string("another run") : owner) +
                   " (wait for it to finish)"};
    }
    return Error{path + ": cannot lock: " + std::strerror(error)};
  }
  return DirLock(fd, dir, false);
}

Status DirLock::Upgrade(const std::string& tool) {
  if (exclusive_) return Status::Ok();
  const std::string path = LockPath(dir_);
  if (fd_ < 0) return Status::Fail(dir_ + ": cannot write here (no lock file can be made: a read-only folder?)");
  // flock converts the lock in place; a reader's descriptor may be read-only, which flock allows,
  // but the owner line then cannot be written.
  if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK) return Status::Fail(path + ": cannot lock: " + std::strerror(errno));
    const bool others_read = flock(fd_, LOCK_SH | LOCK_NB) == 0;  // still ours: re-taken shared
    return Status::Fail(others_read ? BeingRead(dir_) : dir_ + " is in use by another run");
  }
  exclusive_ = true;
  return WriteOwner(fd_, path, tool);
}

DirLock::DirLock(DirLock&& other) noexcept : fd_(other.fd_), dir_(std::move(other.dir_)), exclusive_(other.exclusive_) {
  other.fd_ = -1;
}

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    dir_ = std::move(other.dir_);
    exclusive_ = other.exclusive_;
    other.fd_ = -1;
  }
  return *this;
}

DirLock::~DirLock() {
  if (fd_ < 0) return;
  if (exclusive_ && ftruncate(fd_, 0) != 0) {
    // Nothing to do: the lock goes with the descriptor; the stale owner text is harmless.
  }
  close(fd_);
}

}  // namespace kilonas::core
