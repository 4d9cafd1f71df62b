// File helpers at the I/O boundary: errors name the file.
#pragma once

#include <string>

#include "core/status.h"

namespace kilonas::core {

Result<std::string> ReadTextFile(const std::string& path);

// Writes `path` through a temporary file in the same directory and renames it over the target,
// so an interruption never leaves a truncated file. Creates missing parent directories.
Status WriteFileAtomic(const std::string& path, const std::string& content);

// Reads `path` and hands its text to `parse(text, path)`: every file format's Load function.
template <typename T>
Result<T> LoadFileWith(const std::string& path, Result<T> (*parse)(const std::string&, const std::string&)) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.error();
  return parse(text.value(), path);
}

}  // namespace kilonas::core
