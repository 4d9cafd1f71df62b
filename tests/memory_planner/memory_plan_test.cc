#include "memory_planner/memory_plan.h"

#include <gtest/gtest.h>

#include <random>

#include "core/reference_nets.h"
#include "tests/support/random_graphs.h"

namespace kilonas::memory_planner {
namespace {

core::Graph Net(const std::string& name, int resolution) {
  return core::BuildGraph(core::ReferenceNet(name, resolution).value()).value();
}

int FindOp(const core::Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.ops().size(); ++i) {
    if (g.op(static_cast<int>(i)).name == name) return static_cast<int>(i);
  }
  ADD_FAILURE() << "no op " << name;
  return -1;
}

// stem -> [block 0: expand 1, 16 -> 16, residual] -> [block 1: 16 -> 24, expand 6, stride 2]
core::Graph SmallResidualNet() {
  core::NetSpec spec;
  spec.name = "small";
  spec.resolution = 32;
  spec.stem_channels = 16;
  spec.blocks = {{16, 3, 1, 1}, {24, 3, 6, 2}};
  return core::BuildGraph(spec).value();
}

TEST(MemoryPlan, EveryModeKeepsLiveBuffersApartOnRandomGraphs) {
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 150; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    for (bool count_input : {true, false}) {
      const PlanOptions options{count_input, 4};
      for (const MemoryPlan& plan : {PlanPerLayer(g, options), PlanInPlace(g, options)}) {
        const core::Status s = CheckPlan(g, plan);
        ASSERT_TRUE(s.ok()) << "trial " << trial << ": " << s.message();
        EXPECT_GE(plan.arena_bytes, plan.MaxLiveBytes());
      }
    }
  }
}

// A preserved tensor (one a training step reads after the forward pass) is written over by no op:
// the in-place depthwise reading it and the add fused over it run without sharing, the rest as
// before, and the plan stays valid.
TEST(MemoryPlan, NoOpWritesOverAPreservedTensor) {
  std::mt19937 rng(77);
  for (int trial = 0; trial < 60; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    const MemoryPlan plain = PlanInPlace(g);
    std::vector<int> shared;
    for (int t : plain.op_writes_over) {
      if (t >= 0) shared.push_back(t);
    }
    if (shared.empty()) continue;
    PlanOptions options;
    options.preserve = {shared[rng() % shared.size()]};
    const MemoryPlan plan = PlanInPlace(g, options);
    ASSERT_TRUE(CheckPlan(g, plan).ok()) << "trial " << trial;
    for (size_t i = 0; i < g.ops().size(); ++i) {
      ASSERT_NE(plan.op_writes_over[i], options.preserve[0]) << "trial " << trial << " op " << i;
      if (plain.op_writes_over[i] != options.preserve[0]) {
        EXPECT_EQ(plan.op_writes_over[i], plain.op_writes_over[i]) << "trial " << trial << " op " << i;
      }
    }
  }
}

TEST(MemoryPlan, ExcludingTheInputNeverRaisesThePeak) {
  std::mt19937 rng(5);
  for (int trial = 0; trial < 60; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    EXPECT_LE(PlanInPlace(g, {false, 4}).MaxLiveBytes(), PlanInPlace(g, {true, 4}).MaxLiveBytes());
    EXPECT_LE(PlanPerLayer(g, {false, 4}).MaxLiveBytes(), PlanPerLayer(g, {true, 4}).MaxLiveBytes());
  }
}

TEST(MemoryPlan, InPlaceModeNeverNeedsMoreLiveBytesThanPerLayerBesidesScratch) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 60; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    const MemoryPlan per_layer = PlanPerLayer(g);
    const MemoryPlan in_place = PlanInPlace(g);
    for (size_t op = 0; op < g.ops().size(); ++op) {
      const int scratch = in_place.op_scratch[op];
      const int64_t scratch_bytes = scratch >= 0 ? in_place.buffers[scratch].request.size : 0;
      EXPECT_LE(in_place.live_bytes[op] - scratch_bytes, per_layer.live_bytes[op]) << "op " << op;
    }
  }
}

TEST(InPlaceDepthwise, DeniedWhenInputHasTwoConsumers) {
  const core::Graph g = SmallResidualNet();
  const MemoryPlan plan = PlanInPlace(g);
  // b0.dw reads the stem output, which the residual add reads later: no in-place.
  EXPECT_EQ(plan.op_writes_over[FindOp(g, "b0.dw")], -1);
  // b1.dw's input (b1.expand) has no other reader: it runs in place.
  const int dw = FindOp(g, "b1.dw");
  EXPECT_EQ(plan.op_writes_over[dw], g.op(dw).inputs[0]);
  EXPECT_EQ(plan.tensor_buffer[g.op(dw).output], plan.tensor_buffer[g.op(dw).inputs[0]]);
}

TEST(InPlaceDepthwise, NeedsOnePaddedChannelInsteadOfAnOutputBuffer) {
  const core::Graph g = SmallResidualNet();
  const int dw = FindOp(g, "b1.dw");
  const core::Tensor& in = g.InputOf(g.op(dw));
  const core::Tensor& out = g.OutputOf(g.op(dw));
  const MemoryPlan per_layer = PlanPerLayer(g);
  const MemoryPlan in_place = PlanInPlace(g);
  const int64_t padded_channel = (in.shape.h + 2) * (in.shape.w + 2) + 4;  // + the SMLAD kernel's word-read slack
  EXPECT_EQ(per_layer.live_bytes[dw], in.Bytes() + out.Bytes());
  EXPECT_EQ(in_place.live_bytes[dw], in.Bytes() + padded_channel);
  EXPECT_EQ(in_place.buffers[in_place.op_scratch[dw]].request.size, padded_channel);
  // After the stride-2 depthwise only the smaller output stays in the shared buffer.
  EXPECT_EQ(in_place.buffers[in_place.tensor_buffer[g.op(dw).output]].request.SizeAt(dw + 1), out.Bytes());
}

TEST(FusedResidualAdd, ProjectionWritesTheSumOverTheResidual) {
  const core::Graph g = SmallResidualNet();
  const int add = FindOp(g, "b0.add");
  const int project = FindOp(g, "b0.project");
  const MemoryPlan plan = PlanInPlace(g);
  EXPECT_TRUE(plan.op_fused[add]);
  const int residual = g.op(add).inputs[0];
  EXPECT_EQ(plan.op_writes_over[project], residual);
  EXPECT_EQ(plan.tensor_buffer[g.op(add).output], plan.tensor_buffer[residual]);
  // Live at the projection: residual (= output) and the depthwise output, nothing else.
  EXPECT_EQ(plan.live_bytes[project], g.tensor(residual).Bytes() + g.InputOf(g.op(project)).Bytes() +
                                          plan.buffers[plan.op_scratch[project]].request.size);
  EXPECT_FALSE(PlanPerLayer(g).op_fused[add]);
}

TEST(FusedResidualAdd, DeniedWhenTheResidualIsReadAfterTheAdd) {
  core::Graph g;
  const int in = g.AddTensor({"in", {8, 8, 4}});
  const int x = g.AddTensor({"x", {8, 8, 4}});
  const int y = g.AddTensor({"y", {8, 8, 4}});
  const int z = g.AddTensor({"z", {8, 8, 4}});
  const int w = g.AddTensor({"w", {8, 8, 4}});
  g.SetInput(in);
  g.AddOp({core::OpKind::kDepthwiseConv2d, "x", {in}, x, 3, 1, 1});
  g.AddOp({core::OpKind::kPointwiseConv2d, "y", {x}, y});
  g.AddOp({core::OpKind::kAdd, "z", {x, y}, z});
  g.AddOp({core::OpKind::kAdd, "w", {x, z}, w});
  g.SetOutput(w);
  ASSERT_TRUE(g.Validate().ok());
  const std::vector<Lifetime> lifetimes = ComputeLifetimes(g);
  EXPECT_EQ(FusableResidual(g, lifetimes, 2), -1);
  EXPECT_EQ(FusableResidual(g, lifetimes, 3), -1);  // z is not produced by an add-absorbing op
  EXPECT_TRUE(CheckPlan(g, PlanInPlace(g)).ok());
}

// MCUNetV2 Figure 1: MobileNetV2 at 224x224 needs 1372 kB layer by layer. That figure is the
// first expand conv's input + output (200,704 + 1,204,224 bytes): our inplace mode, where the
// stride-2 depthwise after it runs in place. Without in-place depthwise (TFLite Micro) the
// depthwise's input + output (1,204,224 + 301,056) is the peak instead: 1470 kB.
TEST(GoldenMobileNetV2, LayerByLayerPeaksMatchMcunetV2Figure1) {
  const core::Graph g = Net("mbv2-w1.0", 224);
  EXPECT_EQ(PlanPerLayer(g).arena_bytes, 1204224 + 301056);
  const MemoryPlan in_place = PlanInPlace(g);
  EXPECT_EQ(in_place.MaxLiveBytes(), 200704 + 1204224 + 4 * 16 * 2);  // + pointwise q15 scratch (4 pixels)
  EXPECT_EQ(in_place.arena_bytes, in_place.MaxLiveBytes());
}

// MCUNet model zoo "Act" column (peak of input + output activations): 303 kB and 242 kB.
TEST(GoldenMcunetZoo, ActivationPeaksMatchPublishedAct) {
  EXPECT_NEAR(PlanPerLayer(Net("mbv2-w0.35", 144)).MaxLiveBytes() / 1024.0, 303, 1.0);
  EXPECT_NEAR(PlanPerLayer(Net("proxyless-w0.3", 176)).MaxLiveBytes() / 1024.0, 242, 1.0);
}

}  // namespace
}  // namespace kilonas::memory_planner
