#include "core/file_io.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <system_error>
#include <vector>

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

Result<std::string> ReadTextFile(const std::string& path, int64_t max_bytes) {
  // Non-blocking open: a FIFO in a file's place must not wait for a writer; it is refused below.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Error{path + ": cannot open file: " + ErrnoText(errno)};
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    const bool directory = S_ISDIR(info.st_mode);
    ::close(fd);
    return Error{path + (directory ? ": is a directory, expected a file"
                                   : ": is not a regular file (a device, FIFO or socket), expected a file")};
  }
  if (info.st_size > max_bytes) {
    ::close(fd);
    return Error{path + ": is " + std::to_string(info.st_size) + " bytes, more than the " + std::to_string(max_bytes) +
                 " such a file may have"};
  }
  std::string text(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < text.size()) {  // a file that shrinks meanwhile ends early; one that grows is cut
    const ssize_t n = ::read(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      ::close(fd);
      return Error{path + ": read error: " + ErrnoText(error)};
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  text.resize(done);
  return text;
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

namespace {

// The names directly in `dir`, sorted.
std::vector<std::string> EntriesOf(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const std::filesystem::directory_entry& entry : std::filesystem::directory_iterator(dir, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Fails naming the first entry of `target` that it may not replace: one its list of owned files
// does not hold; or, for a target from before such lists (holding `legacy_marker`), one that the
// new output does not write itself (`staged_names`; null: not known yet, so not checked).
Status CheckOnlyOwnedFiles(const std::string& target, const std::string& legacy_marker,
                           const std::vector<std::string>* staged_names) {
  const std::string lock = ".kilonas.lock";
  std::set<std::string> owned = {lock, kOwnedFilesName};
  const std::vector<std::string> entries = EntriesOf(target);
  Result<std::string> list = ReadTextFile(target + "/" + kOwnedFilesName);
  const bool legacy = !list.ok() && std::count(entries.begin(), entries.end(), legacy_marker) > 0;
  if (list.ok()) {
    std::istringstream lines(list.value());
    for (std::string name; std::getline(lines, name);) owned.insert(name);
  } else if (legacy && staged_names == nullptr) {
    return Status::Ok();
  } else if (legacy) {
    owned.insert(staged_names->begin(), staged_names->end());
  }
  for (const std::string& name : entries) {
    if (owned.count(name)) continue;
    return Status::Fail(target + ": holds '" + name + "', which " +
                        (list.ok() || legacy ? std::string("the earlier output there did not write")
                                             : std::string("no earlier output of this kind wrote")) +
                        "; not replacing it (move it away, or choose another directory)");
  }
  return Status::Ok();
}

Status CheckTarget(const std::string& target, const std::string& legacy_marker,
                   const std::vector<std::string>* staged_names) {
  std::error_code ec;
  if (!std::filesystem::exists(target, ec)) return Status::Ok();
  if (!std::filesystem::is_directory(target, ec)) return Status::Fail(target + ": exists and is not a directory");
  return CheckOnlyOwnedFiles(target, legacy_marker, staged_names);
}

}  // namespace

Status CheckReplaceable(const std::string& target, const std::string& legacy_marker) {
  return CheckTarget(target, legacy_marker, nullptr);
}

Status ReplaceDirectory(const std::string& staged, const std::string& target, const std::string& legacy_marker) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const std::string lock = "/.kilonas.lock";
  const std::vector<std::string> names = EntriesOf(staged);
  std::string list;
  for (const std::string& name : names) list += name + "\n";
  if (Status s = WriteFileAtomic(staged + "/" + kOwnedFilesName, list); !s.ok()) return s;
  if (Status s = CheckTarget(target, legacy_marker, &names); !s.ok()) return s;
  if (fs::exists(target, ec)) {
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
