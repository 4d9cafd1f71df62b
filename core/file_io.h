// File helpers at the I/O boundary: errors name the file.
#pragma once

#include <string>

#include "core/status.h"

namespace kilonas::core {

Result<std::string> ReadTextFile(const std::string& path);

// Writes `path` through a temporary file in the same directory and renames it over the target,
// so an interruption never leaves a truncated file. Creates missing parent directories.
Status WriteFileAtomic(const std::string& path, const std::string& content);

}  // namespace kilonas::core
