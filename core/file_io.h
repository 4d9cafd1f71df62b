// File helpers at the I/O boundary: errors name the file.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace kilonas::core {

// The whole of a regular file; a directory, device, FIFO or socket (which could block or never
// end) is an error naming it, and so is a file larger than `max_bytes`.
inline constexpr int64_t kMaxReadBytes = int64_t{1} << 30;
Result<std::string> ReadTextFile(const std::string& path, int64_t max_bytes = kMaxReadBytes);

// Writes `path` through a temporary file in the same directory and renames it over the target,
// so an interruption never leaves a truncated file. Creates missing parent directories.
Status WriteFileAtomic(const std::string& path, const std::string& content);

// Moves the finished directory `staged` to `target` as a whole: readers see the old directory or
// the new one, never a mix. The move first lists what `staged` holds in `kOwnedFilesName`; a
// non-empty `target` must hold such a list and nothing beyond it, or (an output from before the
// lists) hold `legacy_marker` and nothing the new output does not write itself. The lock file
// `.kilonas.lock` is kept (the same inode, so a lock held on it stays held). A directory with any
// other file (the user's notes, a search's report) is refused naming that file, never replaced.
inline constexpr const char* kOwnedFilesName = ".kilonas_files";
Status ReplaceDirectory(const std::string& staged, const std::string& target, const std::string& legacy_marker);
// What ReplaceDirectory checks of `target` as far as it can before `staged` exists, for a caller
// to refuse before the work, not after it.
Status CheckReplaceable(const std::string& target, const std::string& legacy_marker);

// Removes `<target>.staging.*` directories left beside `target` by runs that were killed (the
// caller holds the lock that makes them stale); returns the name to stage into for this process.
std::string FreshStagingDirectory(const std::string& target);

// Reads `path` and hands its text to `parse(text, path)`: every file format's Load function.
template <typename Parse>
auto LoadFileWith(const std::string& path, Parse parse) -> decltype(parse(std::string(), path)) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.error();
  return parse(text.value(), path);
}

}  // namespace kilonas::core
