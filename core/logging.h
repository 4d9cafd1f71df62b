// The one kilonas logger. Libraries log through it and never configure sinks; apps do.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>

namespace kilonas::core {

// Returns the process-wide "kilonas" logger, creating it with spdlog's default sink if no app
// registered one first.
std::shared_ptr<spdlog::logger> Logger();

}  // namespace kilonas::core
