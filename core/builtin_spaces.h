// The built-in search spaces: configs/spaces/<name>.json, embedded at build time by
// core/CMakeLists.txt (builtin_spaces.cc.in), so that tools find them from any directory.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kilonas::core {

// (name, JSON text) of every file in configs/spaces/, by file name.
const std::vector<std::pair<std::string, std::string>>& BuiltinSpaceTexts();

}  // namespace kilonas::core
