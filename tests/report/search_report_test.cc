#include "report/search_report.h"

#include <gtest/gtest.h>

namespace kilonas::report {
namespace {

SearchReport WithFirmwareRun(double budget_ms, uint64_t ticks) {
  SearchReport r;
  r.hw.name = "mcu";
  r.hw.clock_mhz = 100;
  r.hw.cpi = 1.0;
  r.budgets = {64 * 1024, 1 << 20, budget_ms};
  r.predicted_latency.ms = 9.0;
  engine::ExportResult e;
  e.arena_bytes = 1000;
  e.run = engine::QemuRun{};
  e.run->ticks = ticks;  // x 40 instructions at 100 MHz, cpi 1
  r.export_result = e;
  return r;
}

TEST(BudgetBrokenInFirmware, AMeasuredLatencyOverTheBudgetIsReportedWithThePrediction) {
  // 25000 ticks = 1,000,000 instructions = 10 ms at 100 MHz.
  EXPECT_DOUBLE_EQ(FirmwareMs(WithFirmwareRun(9.5, 25000)), 10.0);
  const std::optional<std::string> broken = BudgetBrokenInFirmware(WithFirmwareRun(9.5, 25000));
  ASSERT_TRUE(broken);
  EXPECT_NE(broken->find("runs 10.00 ms in the firmware, over the 9.50 ms latency budget (the LUT predicted 9.00 ms)"),
            std::string::npos)
      << *broken;
  EXPECT_FALSE(BudgetBrokenInFirmware(WithFirmwareRun(10.5, 25000)));
  EXPECT_FALSE(BudgetBrokenInFirmware(WithFirmwareRun(0, 25000)));  // no latency budget
  SearchReport big = WithFirmwareRun(0, 25000);
  big.export_result->arena_bytes = 70 * 1024;
  EXPECT_TRUE(BudgetBrokenInFirmware(big));
  SearchReport no_run = WithFirmwareRun(1, 25000);
  no_run.export_result->run.reset();
  EXPECT_FALSE(BudgetBrokenInFirmware(no_run));
}

// The winner's line names the plan it was exported with, not the one the config asked for.
TEST(FormatSummary, NamesThePlanTheWinnerWasExportedWith) {
  SearchReport r;
  r.config.execution_mode = "patch";
  search::Candidate c;
  c.config.resolution = 28;
  c.config.width_mult = 1.0;
  r.evolution.population = {c};
  r.best_graph = core::Graph();
  r.execution = {memory_planner::PlanMode::kInPlace, true, 0, 0};
  EXPECT_NE(FormatSummary(r).find("(inplace; patches would not lower its peak)"), std::string::npos)
      << FormatSummary(r);
  r.execution = {memory_planner::PlanMode::kPatch, true, 2, 5};
  EXPECT_NE(FormatSummary(r).find("(patch 2x2)"), std::string::npos) << FormatSummary(r);
}

}  // namespace
}  // namespace kilonas::report
