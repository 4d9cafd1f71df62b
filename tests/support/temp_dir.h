// A per-process path under the system temp directory for a test's files, emptied (removed) first.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

namespace kilonas::testing {

inline std::string FreshTempPath(const std::string& name) {
  const std::string path =
      std::filesystem::temp_directory_path().string() + "/kilonas_" + name + "_" + std::to_string(getpid());
  std::filesystem::remove_all(path);
  return path;
}

}  // namespace kilonas::testing
