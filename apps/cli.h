// What every kilonas CLI does on an error: one line on stderr naming the tool, exit status 1.
#pragma once

#include <cstdio>
#include <string>

namespace kilonas::apps {

inline int Fail(const char* tool, const std::string& message) {
  std::fprintf(stderr, "%s: error: %s\n", tool, message.c_str());
  return 1;
}

}  // namespace kilonas::apps
