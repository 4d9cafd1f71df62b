// The model zoo (models/fmnist, scripts/model_zoo.sh): every model is a subnet of the fmnist
// space that fits the budget its name gives, priced as nas_search prices it.
#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <regex>

#include "core/hw_profile.h"
#include "search/resources.h"
#include "tests/support/source_path.h"

namespace kilonas::search {
namespace {

// Patch plans, the stm32f746 budgets, code sizes and LUT, weight layouts chosen within each
// model's flash budget.
TEST(ModelZoo, EveryModelFitsTheBudgetItIsNamedFor) {
  const auto code =
      memory_planner::LoadCodeSize(kilonas::testing::SourcePath("hw_profiles/code_size/cortex-m7.json")).value();
  const latency_models::LatencyPredictor predictor(
      latency_models::LoadLut(kilonas::testing::SourcePath("latency_models/luts/stm32f746.json")).value());
  const core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/stm32f746.json")).value();
  const std::regex sram_flash("sram([0-9]+)_flash([0-9]+)\\.json"), latency("latency([0-9]+)\\.json");
  int models = 0;
  for (const auto& entry : std::filesystem::directory_iterator(kilonas::testing::SourcePath("models/fmnist"))) {
    const std::string name = entry.path().filename().string();
    std::smatch m;
    BudgetOverrides overrides;  // as nas_search's flags
    if (std::regex_match(name, m, sram_flash)) {
      overrides[static_cast<size_t>(Constraint::kSram)] = std::stod(m[1]);
      overrides[static_cast<size_t>(Constraint::kFlash)] = std::stod(m[2]);
    } else if (std::regex_match(name, m, latency)) {
      overrides[static_cast<size_t>(Constraint::kLatency)] = std::stod(m[1]);
    } else {
      continue;
    }
    const Budgets budgets = BudgetsFor(hw, overrides).value();
    const ResourceModel model(core::FashionMnistSpace(), memory_planner::PlanMode::kPatch, code, predictor,
                              budgets.flash_bytes);
    const auto config = core::LoadSubnetConfig(entry.path().string(), &model.space());
    ASSERT_TRUE(config.ok()) << config.error().message;
    const auto resources = model.Measure(config.value());
    ASSERT_TRUE(resources.ok());
    EXPECT_FALSE(WorstViolation(resources.value(), budgets).has_value()) << name;
    ++models;
  }
  EXPECT_GT(models, 0);
}

}  // namespace
}  // namespace kilonas::search
