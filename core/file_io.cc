#include "core/file_io.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace kilonas::core {
namespace {

std::string ErrnoText(int error) { return std::strerror(error); }

// Writes all of `content` to a new file `path` and flushes it to the device.
Status WriteNewFile(const std::string& path, const std::string& content, const std::string& target) {
  const std::string what = target + ": cannot write " + std::to_string(content.size()) + " bytes";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Fail(what + " (creating " + path + "): " + ErrnoText(errno));
  size_t done = 0;
  while (done < content.size()) {
    const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = n < 0 ? errno : EIO;
      ::close(fd);
      return Status::Fail(what + " (" + std::to_string(done) + " written): " + ErrnoText(error));
    }
    done += static_cast<size_t>(n);
  }
  // fsync before the rename: after a power loss the new name never points at missing data.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const int error = errno;
    return Status::Fail(what + ": " + ErrnoText(error));
  }
  return Status::Ok();
}

}  // namespace

Result<std::string> ReadTextFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return Error{path + ": is a directory, expected a file"};
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{path + ": cannot open file" + (errno ? ": " + ErrnoText(errno) : std::string())};
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Error{path + ": read error"};
  return text.str();
}

Status WriteFileAtomic(const std::string& path, const std::string& content) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target(path);
  if (target.has_parent_path()) {
    fs::create_directories(target.parent_path(), ec);
    if (ec) return Status::Fail(path + ": cannot create directory: " + ec.message());
  }
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  if (Status s = WriteNewFile(temp, content, path); !s.ok()) {
    fs::remove(temp, ec);
    return s;
  }
  fs::rename(temp, target, ec);
  if (ec) {
    const std::string cause = ec.message();
    fs::remove(temp, ec);
    return Status::Fail(path + ": cannot rename the temporary file into place: " + cause);
  }
  return Status::Ok();
}

Status ReplaceDirectory(const std::string& staged, const std::string& target, const std::string& marker) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string lock = "/.kilonas.lock";
  if (fs::exists(target, ec)) {
    if (!fs::is_directory(target, ec)) return Status::Fail(target + ": exists and is not a directory");
    if (!fs::exists(target + "/" + marker)) {
      for (const fs::directory_entry& entry : fs::directory_iterator(target, ec)) {
        const std::string name = entry.path().filename().string();
        if (name != ".kilonas.lock") {
          return Status::Fail(
              target + ": holds '" + name + "' but no " + marker +
              ", so it is not an earlier output of this kind; not replacing it (choose another directory)");
        }
      }
    }
    if (fs::exists(target + lock) && ::link((target + lock).c_str(), (staged + lock).c_str()) != 0) {
      return Status::Fail(staged + lock + ": cannot link the lock file: " + ErrnoText(errno));
    }
    // Atomic exchange where the file system has it; else two renames (a crash between them
    // leaves the old directory as <target>.old.<pid> and no mix).
    if (::renameat2(AT_FDCWD, staged.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) == 0) {
      fs::remove_all(staged, ec);
      return Status::Ok();
    }
    const std::string old = target + ".old." + std::to_string(::getpid());
    fs::rename(target, old, ec);
    if (ec) return Status::Fail(target + ": cannot move the previous directory aside: " + ec.message());
    fs::rename(staged, target, ec);
    if (ec) return Status::Fail(target + ": cannot move " + staged + " into place: " + ec.message());
    fs::remove_all(old, ec);
    return Status::Ok();
  }
  const fs::path parent = fs::path(target).parent_path();
  if (!parent.empty()) fs::create_directories(parent, ec);
  fs::rename(staged, target, ec);
  if (ec) return Status::Fail(target + ": cannot move " + staged + " into place: " + ec.message());
  return Status::Ok();
}

std::string FreshStagingDirectory(const std::string& target) {
  namespace fs = std::filesystem;
  const fs::path path = fs::path(target).lexically_normal();
  const fs::path parent = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const std::string prefix = path.filename().string() + ".staging.";
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(parent, ec)) {
    if (entry.path().filename().string().rfind(prefix, 0) == 0) fs::remove_all(entry.path(), ec);
  }
  return (parent / (prefix + std::to_string(::getpid()))).string();
}

}  // namespace kilonas::core
