// ChooseWeightLayouts: wide weights only where the LUT prices them cheaper, never past the flash
// budget, the best cycles per byte first, nothing in a mode of reference kernels or without
// priced wide calls.
#include "latency_models/weight_layouts.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/ofa_space.h"
#include "latency_models/space_keys.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/source_path.h"

namespace kilonas::latency_models {
namespace {

using memory_planner::PlanMode;

// Every call of the fmnist space priced by its MACs and outputs; wide calls 20% cheaper but for
// pointwise layers with few inputs, where they are dearer.
LatencyLut Lut(bool with_wide) {
  LatencyLut lut;
  lut.mcu = "test";
  lut.provenance = {"0", "qemu-icount", "2026-01-01T00:00:00Z", "cortex-m7", "test", 1.0, 100.0, ""};
  for (PlanMode mode : {PlanMode::kPerLayer, PlanMode::kInPlace, PlanMode::kPatch}) {
    for (const OpKey& key : SpaceCallKeys(core::FashionMnistSpace(), mode, 200)) {
      if (key.wide && !with_wide) continue;
      const double cycles = 3.0 * KeyMacs(key) + 2.0 * key.out.Elements() + 500;
      lut.entries[key] = {1, key.wide ? (key.in.c < 16 ? 1.1 : 0.8) * cycles : cycles};
    }
  }
  return lut;
}

int64_t Flash(const core::Graph& g, PlanMode mode, const memory_planner::CodeSize& code) {
  return memory_planner::EstimateFlash(g, memory_planner::PlanDeployed(g, mode), code).value().Total();
}

class ChooseWeightLayoutsTest : public ::testing::Test {
 protected:
  const memory_planner::CodeSize code =
      memory_planner::LoadCodeSize(kilonas::testing::SourcePath("hw_profiles/code_size/cortex-m7.json")).value();
  const LatencyPredictor predictor{Lut(true)};
};

TEST_F(ChooseWeightLayoutsTest, StaysWithinTheBudgetAndTakesOnlyLayersThatGain) {
  std::mt19937 rng(3);
  const core::OfaSpace space = core::FashionMnistSpace();
  int some_wide = 0, all_wide = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const PlanMode mode = trial % 2 ? PlanMode::kInPlace : PlanMode::kPatch;
    const core::Graph g = core::BuildSubnetGraph(space, core::SampleSubnet(space, rng)).value();
    const int64_t int8 = Flash(g, mode, code);
    const LaidOutGraph laid_out = ChooseWeightLayouts(g, mode, code, predictor, int64_t{1} << 40);
    const core::Graph& everything = laid_out.graph;
    // The plan returned is the chosen graph's deployed plan.
    EXPECT_EQ(laid_out.plan.arena_bytes, memory_planner::PlanDeployed(everything, mode).arena_bytes);
    const int64_t most = Flash(everything, mode, code);
    // Pointwise layers with 16 inputs or more whose int8 and wide calls the LUT all prices (a
    // patch-stage call can miss it).
    std::vector<bool> priced(g.ops().size(), true);
    for (const memory_planner::PlannedCall& call :
         memory_planner::PlanCalls(g, memory_planner::PlanDeployed(g, mode))) {
      OpKey key = KeyOf(g, call);
      for (bool wide : {false, true}) {
        key.wide = wide && key.kind == core::OpKind::kPointwiseConv2d;
        bool miss = false;
        predictor.Cycles(key, &miss);
        if (miss) priced[call.op] = false;
      }
    }
    int eligible = 0;
    for (int i = 0; i < static_cast<int>(g.ops().size()); ++i) {
      const core::Op& op = g.op(i);
      eligible += op.kind == core::OpKind::kPointwiseConv2d && g.InputOf(op).shape.c >= 16 && priced[i];
    }
    EXPECT_EQ(CountWideLayers(everything), eligible);  // exactly the layers the LUT says gain
    for (int i = 0; i < static_cast<int>(g.ops().size()); ++i) {
      if (everything.op(i).weights == core::WeightLayout::kWide) {
        EXPECT_GE(g.InputOf(g.op(i)).shape.c, 16);
      }
    }
    all_wide += eligible > 0;
    // A budget in between: within it, and one layer more would not be.
    const int64_t budget = int8 + (most - int8) / 2;
    const core::Graph some = ChooseWeightLayouts(g, mode, code, predictor, budget).graph;
    EXPECT_LE(Flash(some, mode, code), budget);
    EXPECT_LE(CountWideLayers(some), CountWideLayers(everything));
    some_wide += CountWideLayers(some) > 0 && CountWideLayers(some) < CountWideLayers(everything);
    // At the int8 model's own flash nothing fits.
    EXPECT_EQ(CountWideLayers(ChooseWeightLayouts(g, mode, code, predictor, int8).graph), 0);
  }
  EXPECT_GT(all_wide, 10);
  EXPECT_GT(some_wide, 5);
}

TEST_F(ChooseWeightLayoutsTest, NothingWithReferenceKernelsUnpricedWideCallsOrNoCodeFigure) {
  std::mt19937 rng(4);
  const core::OfaSpace space = core::FashionMnistSpace();
  const core::Graph g = core::BuildSubnetGraph(space, core::SampleSubnet(space, rng)).value();
  const int64_t unlimited = int64_t{1} << 40;
  EXPECT_GT(CountWideLayers(ChooseWeightLayouts(g, PlanMode::kInPlace, code, predictor, unlimited).graph), 0);
  EXPECT_EQ(CountWideLayers(ChooseWeightLayouts(g, PlanMode::kPerLayer, code, predictor, unlimited).graph), 0);
  EXPECT_EQ(
      CountWideLayers(ChooseWeightLayouts(g, PlanMode::kInPlace, code, LatencyPredictor(Lut(false)), unlimited).graph),
      0);
  memory_planner::CodeSize old = code;
  old.kernel_functions.erase("pointwise_conv2d wide");
  old.kernel_functions.erase("pointwise_conv2d wide fused_add");
  EXPECT_EQ(CountWideLayers(ChooseWeightLayouts(g, PlanMode::kInPlace, old, predictor, unlimited).graph), 0);
}

}  // namespace
}  // namespace kilonas::latency_models
