// What every kilonas CLI does on an error: one line on stderr naming the tool, exit status 1;
// and how it claims an output directory (core/dir_lock.h) before writing into it.
#pragma once

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "core/dir_lock.h"

namespace kilonas::apps {

// CLI11_PARSE, except that every command-line error exits with status 2 (CLI11 uses 100-120
// by kind); --help and --version still exit 0.
#define KILONAS_PARSE(app, argc, argv)   \
  do {                                   \
    try {                                \
      (app).parse((argc), (argv));       \
    } catch (const CLI::ParseError& e) { \
      const int shown = (app).exit(e);   \
      return shown == 0 ? 0 : 2;         \
    }                                    \
  } while (false)

// CLI::Range for real-valued flags that also refuses nan and inf (nan passes every comparison, so
// CLI::Range lets it through): the one check of every real-valued option.
inline CLI::Validator FiniteRange(double min, double max) {
  const std::string range = "[" + CLI::detail::to_string(min) + " - " + CLI::detail::to_string(max) + "]";
  return CLI::Validator(
      [min, max, range](std::string& text) -> std::string {
        char* end = nullptr;
        const double value = std::strtod(text.c_str(), &end);
        if (end == text.c_str() || *end != '\0') return "'" + text + "' is not a number";
        if (!std::isfinite(value) || value < min || value > max) return "Value " + text + " not in range " + range;
        return "";
      },
      "FLOAT in " + range);
}

inline int Fail(const char* tool, const std::string& message) {
  std::fprintf(stderr, "%s: error: %s\n", tool, message.c_str());
  return 1;
}

// libgomp reads its wait policy once, when it is loaded (before main). Its default lets idle
// threads spin, which on a machine shared with another CPU-bound process collapses throughput
// (bench/contention.sh: nas_train beside a second one, 2 threads each: 37 images/s each with
// spinning, 241 with passive waiting, against 454-560 alone). Unless the user chose a policy
// (OMP_WAIT_POLICY or GOMP_SPINCOUNT set), the tool sets PASSIVE and executes itself again
// (same PID, same arguments); if that exec fails it runs on with libgomp's default.
inline void PreferPassiveOpenMpWaiting(const char* tool, char** argv) {
  if (std::getenv("OMP_WAIT_POLICY") != nullptr || std::getenv("GOMP_SPINCOUNT") != nullptr) return;
  // The resolved path, not /proc/self/exe, so that ps and pkill still see the tool's name.
  char path[4096];
  const ssize_t length = readlink("/proc/self/exe", path, sizeof(path) - 1);
  if (length > 0) {
    path[length] = '\0';
    setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
    execv(path, argv);
    unsetenv("OMP_WAIT_POLICY");  // still here: libgomp runs with its default
  }
  std::fprintf(stderr, "%s: note: could not re-execute with OMP_WAIT_POLICY=PASSIVE (%s); threads spin while idle\n",
               tool, std::strerror(errno));
}

// The tool boundary: applies the OpenMP wait policy, runs `tool_main` and turns an exception
// that escaped it (LibTorch's c10::Error on input nothing checked, std::bad_alloc, a filesystem
// error) into one line and exit status 1, never std::terminate's abort.
inline int RunTool(const char* tool, int argc, char** argv, int (*tool_main)(int, char**)) {
  PreferPassiveOpenMpWaiting(tool, argv);
  // Past a file size limit (ulimit -f) a write fails with EFBIG, which the writer reports naming
  // the file, instead of the default SIGXFSZ killing the tool mid-write.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    return tool_main(argc, argv);
  } catch (const std::exception& e) {
    const std::string what = e.what();
    return Fail(tool, "unexpected failure: " + what.substr(0, what.find('\n')));
  } catch (...) {
    return Fail(tool, "unexpected failure (unknown exception)");
  }
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
