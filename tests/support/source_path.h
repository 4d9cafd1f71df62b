// Files of the repository as the tests read them: absolute (KILONAS_SOURCE_DIR, defined for every
// test binary), so that a test binary runs from any working directory.
#pragma once

#include <string>

namespace kilonas::testing {

inline std::string SourcePath(const std::string& relative) { return std::string(KILONAS_SOURCE_DIR) + "/" + relative; }

}  // namespace kilonas::testing
