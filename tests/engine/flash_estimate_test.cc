// The flash estimate the search budgets with bounds what the firmware links: for random subnets
// in every execution mode on both cores, estimate >= the model's linked flash (firmware minus
// the harness alone) and within 3% of it; the second subnet of each core has every other
// pointwise layer's weights wide (stored so where the SMLAD kernels run, int8 for per_layer's
// reference kernels). Builds firmware (no QEMU run).
#include <gtest/gtest.h>

#include <random>

#include "core/hw_profile.h"
#include "core/ofa_space.h"
#include "engine/export.h"
#include "memory_planner/flash.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/source_path.h"

namespace kilonas::engine {
namespace {

TEST(FlashEstimate, BoundsTheLinkedModelFlashWithin3PercentInEveryModeAndCore) {
  const core::OfaSpace space = core::FashionMnistSpace();
  std::mt19937 rng(404);
  for (const std::string& profile : {kilonas::testing::SourcePath("hw_profiles/stm32f746.json"),
                                     kilonas::testing::SourcePath("hw_profiles/stm32f412.json")}) {
    const core::HwProfile hw = core::LoadHwProfile(profile).value();
    const memory_planner::CodeSize code = memory_planner::LoadCodeSize(hw.code_size).value();
    for (int i = 0; i < 2; ++i) {
      const core::Graph int8 = core::BuildSubnetGraph(space, core::SampleSubnet(space, rng)).value();
      core::Graph wide = int8;
      for (int op = 0, pointwise = 0; op < static_cast<int>(wide.ops().size()); ++op) {
        if (wide.op(op).kind == core::OpKind::kPointwiseConv2d && pointwise++ % 2 == 0) {
          wide.mutable_op(op).weights = core::WeightLayout::kWide;
        }
      }
      for (memory_planner::PlanMode mode : {memory_planner::PlanMode::kPerLayer, memory_planner::PlanMode::kInPlace,
                                            memory_planner::PlanMode::kPatch}) {
        const core::Graph& graph = i == 1 ? wide : int8;
        const memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(graph, mode);
        const std::string dir = std::string(KILONAS_TEST_OUT) + "/flash_estimate";
        const ExportOptions options{dir, "flash", KILONAS_SOURCE_DIR, KernelSet::kOptimized, true, false, false, true};
        const core::Result<ExportResult> exported = ExportRandomNetwork(graph, plan, hw, options, rng);
        ASSERT_TRUE(exported.ok()) << exported.error().message;
        ASSERT_TRUE(exported.value().model_flash_bytes.has_value());
        const int64_t linked = *exported.value().model_flash_bytes;
        const int64_t estimate = memory_planner::EstimateFlash(graph, plan, code).value().Total();
        const std::string what = std::string(profile) + " " + std::string(memory_planner::PlanModeName(mode)) +
                                 (plan.patch ? " (patched)" : "") + ": estimate " + std::to_string(estimate) +
                                 ", linked " + std::to_string(linked);
        EXPECT_GE(estimate, linked) << what;
        EXPECT_LE(estimate, linked * 1.03) << what;
      }
    }
  }
}

}  // namespace
}  // namespace kilonas::engine

#include "core/file_io.h"

namespace kilonas::engine {
namespace {

TEST(BoardLinkerScript, UsesTheProfilesMemoryMapWhileQemuBuildsUseTheBoardEmulatedThere) {
  const core::OfaSpace space = core::FashionMnistSpace();
  const core::HwProfile h743 = core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/stm32h743.json")).value();
  const core::Graph graph = core::BuildSubnetGraph(space, core::SmallestSubnet(space)).value();
  std::mt19937 rng(1);
  const std::string dir = std::string(KILONAS_TEST_OUT) + "/board_ld";
  const ExportOptions options{dir, "board", KILONAS_SOURCE_DIR, KernelSet::kOptimized, false, false, false};
  ASSERT_TRUE(ExportRandomNetwork(graph, memory_planner::PlanInPlace(graph), h743, options, rng).ok());
  const std::string board = core::ReadTextFile(dir + "/link_board.ld").value();
  EXPECT_NE(board.find("FLASH (rx) : ORIGIN = 0x08000000"), std::string::npos) << board;
  EXPECT_NE(board.find("RAM (rwx)  : ORIGIN = 0x24000000, LENGTH = 524288"), std::string::npos) << board;
  const std::string qemu = LinkerScript(TargetFor(h743), KILONAS_SOURCE_DIR).value();
  EXPECT_NE(qemu.find("RAM (rwx)  : ORIGIN = 0x20000000"), std::string::npos);
}

}  // namespace
}  // namespace kilonas::engine
