#include "core/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

namespace kilonas::core {

std::shared_ptr<spdlog::logger> Logger() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    if (auto existing = spdlog::get("kilonas")) return existing;
    return spdlog::stderr_color_mt("kilonas");
  }();
  return logger;
}

}  // namespace kilonas::core
