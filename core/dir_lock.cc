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

}  // namespace

Result<DirLock> DirLock::Acquire(const std::string& dir, const std::string& tool, std::string* note) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  const std::string path = dir + "/.kilonas.lock";
  // Never through a symbolic link (it would truncate its target) and never blocking on a FIFO.
  const int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0644);
  if (fd < 0 && errno == ELOOP) {
    return Error{path + ": is a symbolic link; a lock file must be a plain file (remove it)"};
  }
  if (fd < 0) return Error{path + ": cannot open the lock file: " + std::strerror(errno)};
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return Error{path + ": is not a plain file; a lock file must be one (remove it)"};
  }
  const std::string previous = ReadOwner(fd);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int error = errno;
    close(fd);
    if (error == EWOULDBLOCK) {
      return Error{dir + " is in use by " + (previous.empty() ? std::string("another run") : previous) +
                   " (wait for it, or choose another output directory)"};
    }
    return Error{path + ": cannot lock: " + std::strerror(error)};
  }
  if (!previous.empty() && note) *note = "taking over " + path + " from " + previous + ", which is no longer running";
  const std::string owner = tool + " (pid " + std::to_string(getpid()) + ")\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, owner.data(), owner.size(), 0) != static_cast<ssize_t>(owner.size())) {
    close(fd);
    return Error{path + ": cannot write the lock owner: " + std::strerror(errno)};
  }
  return DirLock(fd);
}

DirLock::DirLock(DirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

DirLock& DirLock::operator=(DirLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

DirLock::~DirLock() {
  if (fd_ < 0) return;
  if (ftruncate(fd_, 0) != 0) {
    // Nothing to do: the lock goes with the descriptor; the stale owner text is harmless.
  }
  close(fd_);
}

}  // namespace kilonas::core
