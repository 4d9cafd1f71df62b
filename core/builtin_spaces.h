// The built-in search spaces: the configs/spaces/<name>.json files listed in core/CMakeLists.txt,
// embedded at build time (builtin_spaces.cc.in), so that tools find them from any directory.
#pragma once

#include <string>
#include <utility>
#include <vector>

namespace kilonas::core {

// (name, JSON text) of every built-in space, named by its file.
const std::vector<std::pair<std::string, std::string>>& BuiltinSpaceTexts();

}  // namespace kilonas::core
