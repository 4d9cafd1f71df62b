#include "memory_planner/memory_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/reference_nets.h"

namespace kilonas::memory_planner {
namespace {

TEST(MemoryReport, JsonTableAndSvgAgreeOnThePeaks) {
  const core::Graph g = core::BuildGraph(core::ReferenceNet("mbv2-w0.35", 96).value()).value();
  core::Result<MemoryReport> report = BuildMemoryReport(g, "mbv2-w0.35-r96", std::nullopt);
  ASSERT_TRUE(report.ok()) << report.error().message;
  ASSERT_EQ(report.value().modes.size(), 3u);
  const nlohmann::json doc = nlohmann::json::parse(MemoryReportToJson(g, report.value()));
  ASSERT_EQ(doc["modes"].size(), 3u);
  for (size_t m = 0; m < 3; ++m) {
    const MemoryPlan& plan = report.value().modes[m].plan;
    EXPECT_EQ(doc["modes"][m]["mode"], std::string(PlanModeName(plan.mode)));
    EXPECT_EQ(doc["modes"][m]["arena_bytes"].get<int64_t>(), plan.arena_bytes);
    EXPECT_LE(doc["modes"][m]["arena_bytes_input_excluded"].get<int64_t>(), plan.arena_bytes);
  }
  EXPECT_EQ(doc["layers"].size(), g.ops().size());
  EXPECT_TRUE(doc["modes"][2].contains("patch"));
  const std::string svg = MemoryReportSvg(g, report.value());
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  size_t polylines = 0;
  for (size_t at = svg.find("<polyline"); at != std::string::npos; at = svg.find("<polyline", at + 1)) ++polylines;
  EXPECT_EQ(polylines, 3u);
  const std::string table = FormatMemoryTable(g, report.value());
  EXPECT_NE(table.find(KiB(report.value().modes[0].plan.arena_bytes)), std::string::npos);
  EXPECT_NE(table.find("patch stage ends"), std::string::npos);
}

TEST(KiB, UsesBinaryKilobytesLikeMcunet) { EXPECT_EQ(KiB(1404928), "1372.0 kB"); }

}  // namespace
}  // namespace kilonas::memory_planner
