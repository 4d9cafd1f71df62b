// File helpers at the I/O boundary: errors name the file.
#pragma once

#include <string>

#include "core/status.h"

namespace kilonas::core {

Result<std::string> ReadTextFile(const std::string& path);

// Writes `path` through a temporary file in the same directory and renames it over the target,
// so an interruption never leaves a truncated file. Creates missing parent directories.
Status WriteFileAtomic(const std::string& path, const std::string& content);

// Moves the finished directory `staged` to `target` as a whole: readers see the old directory or
// the new one, never a mix. A non-empty `target` must hold `marker` (a file every such directory
// has, so it was written the same way); otherwise it is refused, so that a directory with the
// user's other files is never replaced. A lock file `.kilonas.lock` in `target` is kept (the same
// inode, so a lock held on it stays held).
Status ReplaceDirectory(const std::string& staged, const std::string& target, const std::string& marker);

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
