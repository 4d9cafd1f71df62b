#include "memory_planner/patch_plan.h"

#include <gtest/gtest.h>

#include <random>

#include "core/reference_nets.h"
#include "tests/support/random_graphs.h"

namespace kilonas::memory_planner {
namespace {

// input 16x16x4 -> three 3x3 stride-1 depthwise convs -> pointwise: receptive field 7x7.
core::Graph ThreeDepthwise() {
  core::Graph g;
  int x = g.AddTensor({"in", {16, 16, 4}});
  g.SetInput(x);
  for (int i = 0; i < 3; ++i) {
    const int y = g.AddTensor({"dw" + std::to_string(i), {16, 16, 4}});
    g.AddOp({core::OpKind::kDepthwiseConv2d, "dw" + std::to_string(i), {x}, y, 3, 1, 1});
    x = y;
  }
  const int out = g.AddTensor({"pw", {16, 16, 8}});
  g.AddOp({core::OpKind::kPointwiseConv2d, "pw", {x}, out});
  g.SetOutput(out);
  EXPECT_TRUE(g.Validate().ok());
  return g;
}

TEST(PatchRegions, HaloGrowsByTheKernelRadiusPerLayerAndClampsAtBorders) {
  const core::Graph g = ThreeDepthwise();
  const core::Region top_left{{0, 8}, {0, 8}};
  std::vector<core::Region> r = PatchRegions(g, 4, top_left);
  EXPECT_EQ(r[g.op(3).inputs[0]], (core::Region{{0, 8}, {0, 8}}));
  EXPECT_EQ(r[g.op(2).inputs[0]], (core::Region{{0, 9}, {0, 9}}));
  EXPECT_EQ(r[g.op(1).inputs[0]], (core::Region{{0, 10}, {0, 10}}));
  EXPECT_EQ(r[g.input()], (core::Region{{0, 11}, {0, 11}}));
  const core::Region interior{{4, 8}, {8, 12}};
  r = PatchRegions(g, 4, interior);
  EXPECT_EQ(r[g.input()], (core::Region{{1, 11}, {5, 15}}));
}

TEST(PatchRegions, StrideTwoLayersDoubleTheWindowBelowThem) {
  const core::Graph g = core::BuildGraph(core::ReferenceNet("mbv2-w1.0", 224).value()).value();
  // Stem: 3x3 stride 2 pad 1. Output rows [0, 7) need input rows [0, 14).
  const std::vector<core::Region> r = PatchRegions(g, 1, {{0, 7}, {7, 14}});
  EXPECT_EQ(r[g.input()], (core::Region{{0, 14}, {13, 28}}));
}

TEST(PatchPlan, PatchesPartitionTheStageOutputAndCoverEveryStageTensor) {
  std::mt19937 rng(42);
  for (int trial = 0; trial < 40; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    for (int n : PatchSplitCandidates(g)) {
      const int p = std::uniform_int_distribution<int>(1, 4)(rng);
      core::Result<MemoryPlan> plan = PlanPatch(g, {p, n});
      if (!plan.ok()) continue;  // stage output smaller than p x p
      const PatchPlan& pp = *plan.value().patch;
      ASSERT_EQ(pp.regions.size(), static_cast<size_t>(p * p));
      for (int i = 0; i < n; ++i) {
        const core::Shape& shape = g.OutputOf(g.op(i)).shape;
        std::vector<int> covered(shape.h * shape.w, 0);
        for (const auto& regions : pp.regions) {
          const core::Region& reg = regions[g.op(i).output];
          ASSERT_GE(reg.rows.begin, 0);
          ASSERT_LE(reg.rows.end, shape.h);
          ASSERT_LE(reg.cols.end, shape.w);
          for (int y = reg.rows.begin; y < reg.rows.end; ++y) {
            for (int x = reg.cols.begin; x < reg.cols.end; ++x) ++covered[y * shape.w + x];
          }
        }
        for (int c : covered) {
          ASSERT_GE(c, 1) << "op " << i << " has an element no patch computes";
          if (i == n - 1) {
            ASSERT_EQ(c, 1) << "stage output element written by two patches";
          }
        }
      }
      EXPECT_GE(pp.ExtraMacs(), 0);
      if (p == 1) {
        EXPECT_EQ(pp.ExtraMacs(), 0);
      }
    }
  }
}

TEST(PatchPlan, LiveBuffersNeverOverlapForEverySplitAndPatchCount) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 40; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    for (int n : PatchSplitCandidates(g)) {
      for (int p = 1; p <= 4; ++p) {
        for (bool count_input : {true, false}) {
          core::Result<MemoryPlan> plan = PlanPatch(g, {p, n}, {count_input, 4});
          if (!plan.ok()) continue;
          const core::Status s = CheckPlan(g, plan.value());
          ASSERT_TRUE(s.ok()) << "trial " << trial << " n " << n << " p " << p << ": " << s.message();
        }
      }
    }
  }
}

TEST(PatchSplitCandidates, NeverCutThroughAResidualBlock) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 60; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    const std::vector<Lifetime> lifetimes = ComputeLifetimes(g);
    for (int n : PatchSplitCandidates(g)) {
      for (int i = 0; i + 1 < n; ++i) EXPECT_LT(lifetimes[g.op(i).output].last, n);
      EXPECT_LT(lifetimes[g.input()].last, n);
      for (int i = 0; i < n; ++i) EXPECT_TRUE(core::Traits(g.op(i).kind).spatially_local);
    }
  }
}

TEST(PatchPlan, RejectsSplitsThroughAResidualAndTooManyPatches) {
  const core::Graph g = core::BuildGraph(core::ReferenceNet("mbv2-w0.35", 96).value()).value();
  // Inside a block without a residual a split is fine (after b1.expand only its output crosses).
  EXPECT_TRUE(PlanPatch(g, {2, 4}).ok());
  core::Result<MemoryPlan> residual_cut = PlanPatch(g, {2, 8});  // b2.project: b2.add still needs b2's input
  ASSERT_FALSE(residual_cut.ok());
  EXPECT_NE(residual_cut.error().message.find("cannot split after op 8"), std::string::npos);
  core::Result<MemoryPlan> too_many = PlanPatch(g, {64, 3});
  ASSERT_FALSE(too_many.ok());
  EXPECT_NE(too_many.error().message.find("do not fit"), std::string::npos);
}

// MCUNetV2 Figure 1: patch-based inference of MobileNetV2 at 224 with 4x4 patches: 172 kB peak
// (input image not counted), +10% MACs. We find the same split (after the stride-8 stage).
TEST(GoldenMobileNetV2, PatchBasedPeakMatchesMcunetV2Figure1) {
  const core::Graph g = core::BuildGraph(core::ReferenceNet("mbv2-w1.0", 224).value()).value();
  core::Result<MemoryPlan> best = PlanBestPatch(g, {false, 4});
  ASSERT_TRUE(best.ok());
  const PatchPlan& p = *best.value().patch;
  EXPECT_EQ(p.patches_per_side, 4);
  EXPECT_EQ(g.tensor(p.stage_output).shape, (core::Shape{28, 28, 32}));
  EXPECT_NEAR(best.value().arena_bytes / 1024.0, 172, 2);
  EXPECT_NEAR(p.ExtraMacFraction(), 0.10, 0.02);
  const int64_t per_layer = PlanPerLayer(g, {false, 4}).arena_bytes;
  EXPECT_GE(static_cast<double>(per_layer) / best.value().arena_bytes, 5.0);
}

TEST(PlanBestPatch, RespectsTheMacOverheadLimit) {
  const core::Graph g = core::BuildGraph(core::ReferenceNet("mbv2-w1.0", 224).value()).value();
  core::Result<MemoryPlan> limited = PlanBestPatch(g, {false, 4}, {4, 0.02});
  ASSERT_TRUE(limited.ok());
  EXPECT_LE(limited.value().patch->ExtraMacFraction(), 0.02);
  EXPECT_GE(limited.value().arena_bytes, PlanBestPatch(g, {false, 4}).value().arena_bytes);
}

}  // namespace
}  // namespace kilonas::memory_planner
