// What every kilonas CLI does on an error: one line on stderr naming the tool, exit status 1;
// and how it claims an output directory (core/dir_lock.h) before writing into it.
#pragma once

#include <cstdio>
#include <string>

#include "core/dir_lock.h"

namespace kilonas::apps {

// CLI11_PARSE, except that every command-line error exits with status 2 (CLI11 uses 100-120
// by kind); --help and --version still exit 0.
#define KILONAS_PARSE(app, argc, argv)                  \
  do {                                                  \
    try {                                               \
      (app).parse((argc), (argv));                      \
    } catch (const CLI::ParseError& e) {                \
      const int shown = (app).exit(e);                  \
      return shown == 0 ? 0 : 2;                        \
    }                                                   \
  } while (false)

inline int Fail(const char* tool, const std::string& message) {
  std::fprintf(stderr, "%s: error: %s\n", tool, message.c_str());
  return 1;
}

// Locks `dir` for this run; says so when it takes over a lock of a run that died. Keep the
// returned lock alive while writing.
inline core::Result<core::DirLock> LockDir(const char* tool, const std::string& dir) {
  std::string note;
  core::Result<core::DirLock> lock = core::DirLock::Acquire(dir, tool, &note);
  if (!note.empty()) std::fprintf(stderr, "%s: %s\n", tool, note.c_str());
  return lock;
}

}  // namespace kilonas::apps
