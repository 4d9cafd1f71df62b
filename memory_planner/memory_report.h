// Side-by-side memory report of one network: per-layer live bytes and peaks of the three plan
// modes (with and without the network input in the arena) and the flash estimate. Rendered as a
// text table, JSON and an SVG plot (MCUNetV2 Figure 1 style).
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/hw_profile.h"
#include "memory_planner/flash.h"
#include "memory_planner/memory_plan.h"
#include "memory_planner/patch_plan.h"

namespace kilonas::memory_planner {

inline constexpr std::array<PlanMode, 3> kAllPlanModes = {PlanMode::kPerLayer, PlanMode::kInPlace, PlanMode::kPatch};

struct ModeResult {
  MemoryPlan plan;                                 // input counted: the arena the engine allocates
  int64_t arena_without_input = 0;                 // the same mode planned with the input outside the arena
  std::optional<PatchConfig> patch_without_input;  // patch mode may pick another (p, n) then
  double extra_mac_fraction_without_input = 0;
  FlashEstimate flash;  // with code only when the report has a profile (its core's code sizes)
};

struct MemoryReport {
  std::string network;
  core::Shape input;
  int64_t macs = 0;
  int64_t params = 0;
  std::vector<ModeResult> modes;  // in kAllPlanModes order
  std::optional<core::HwProfile> hw;
};

struct ReportOptions {
  PatchSearchOptions patch_search;
  int64_t alignment = 4;
};

// Plans all modes; errors if the graph has no patchable first stage or the profile's code sizes
// do not load.
core::Result<MemoryReport> BuildMemoryReport(const core::Graph& graph, const std::string& network,
                                             const std::optional<core::HwProfile>& hw,
                                             const ReportOptions& options = {});

std::string FormatMemoryTable(const core::Graph& graph, const MemoryReport& report);
std::string MemoryReportToJson(const core::Graph& graph, const MemoryReport& report);
std::string MemoryReportSvg(const core::Graph& graph, const MemoryReport& report);

std::string KiB(int64_t bytes);  // "1372.0 kB" with kB = 1024 bytes, as MCUNet reports

}  // namespace kilonas::memory_planner
