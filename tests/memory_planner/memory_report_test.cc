#include "memory_planner/memory_report.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "core/reference_nets.h"
#include "tests/support/source_path.h"

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

// The flash lines give each mode's weights as its kernels store them: a wide layer takes int16
// where the optimized kernels run (not in per_layer, whose reference kernels read int8).
TEST(MemoryReport, FlashShowsEachModesWeightsWideLayersIncluded) {
  const core::Graph g = core::WithPointwiseWeights(
      core::BuildGraph(core::ReferenceNet("mbv2-w0.35", 96).value()).value(), core::WeightLayout::kWide);
  core::Result<MemoryReport> report = BuildMemoryReport(g, "wide", std::nullopt);
  ASSERT_TRUE(report.ok()) << report.error().message;
  const std::string table = FormatMemoryTable(g, report.value());
  const int64_t int8 = report.value().modes[0].flash.weight_bytes, wide = report.value().modes[1].flash.weight_bytes;
  EXPECT_GT(wide, int8);
  EXPECT_NE(table.find("per_layer weights " + KiB(int8)), std::string::npos) << table;
  EXPECT_NE(table.find("inplace   weights " + KiB(wide)), std::string::npos) << table;
  EXPECT_NE(table.find("pointwise layers store their weights wide"), std::string::npos) << table;
}

// The SRAM budget is drawn on the axis only near the peaks (a far larger one would squash the
// curves), and always named in the legend below the modes.
TEST(MemoryReportSvg, TheBudgetJoinsTheAxisOnlyNearThePeaks) {
  const core::Graph g = core::BuildGraph(core::ReferenceNet("mbv2-w0.35", 96).value()).value();
  core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/stm32f746.json")).value();
  hw.name = "mcu";
  hw.reserved_sram_bytes = 0;
  auto dashes = [](const std::string& svg) {
    size_t n = 0;
    for (size_t at = svg.find("stroke-dasharray"); at != std::string::npos; at = svg.find("stroke-dasharray", at + 1)) {
      ++n;
    }
    return n;
  };
  hw.sram_bytes = 64 << 20;  // far above every peak
  const std::string far = MemoryReportSvg(g, BuildMemoryReport(g, "n", hw).value());
  EXPECT_EQ(dashes(far), 1u);  // the legend's sample only
  EXPECT_NE(far.find("mcu budget"), std::string::npos);
  EXPECT_NE(far.find("(above)"), std::string::npos);
  const int64_t peak = BuildMemoryReport(g, "n", std::nullopt).value().modes[0].plan.arena_bytes;
  hw.sram_bytes = peak + peak / 5;
  const std::string near = MemoryReportSvg(g, BuildMemoryReport(g, "n", hw).value());
  EXPECT_EQ(dashes(near), 2u);  // the line across the plot and the legend's sample
  EXPECT_EQ(near.find("(above)"), std::string::npos);
}

TEST(KiB, UsesBinaryKilobytesLikeMcunet) { EXPECT_EQ(KiB(1404928), "1372.0 kB"); }

}  // namespace
}  // namespace kilonas::memory_planner
