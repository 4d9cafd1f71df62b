// The training step's memory plan (ondevice/training_memory.h): buffers never overlap, the last
// bias alone adds only its copy at the forward peak, and pruning and reordering never need more.
#include "ondevice/training_memory.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/ondevice/graph_only.h"
#include "tests/support/random_graphs.h"

namespace kilonas::ondevice {
namespace {

using testing::GraphOnly;

core::Result<TrainingMemory> TryPlan(const core::Graph& g, const UpdateScheme& s, bool reorder,
                                     const memory_planner::MemoryPlan* forward = nullptr) {
  core::Result<TrainingGraph> t = DeriveTrainingGraph(GraphOnly(g), s);
  EXPECT_TRUE(t.ok()) << t.error().message;
  return PlanTrainingMemory(g, t.value(), {reorder, forward});
}

TrainingMemory Plan(const core::Graph& g, const UpdateScheme& s, bool reorder,
                    const memory_planner::MemoryPlan* forward = nullptr) {
  core::Result<TrainingMemory> m = TryPlan(g, s, reorder, forward);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m.ok() ? m.value() : TrainingMemory{};
}

// The last layer's bias (5 classes): its int32 copy lives through the step, and its fp32
// gradients only after the forward peak.
TEST(TrainingMemory, TheLastBiasAloneAddsItsCopyToTheForwardPeak) {
  const core::Graph g = kilonas::testing::PoolNetwork();
  UpdateScheme s;
  s.layers = {{"fc", true, {0}}};
  const TrainingMemory m = Plan(g, s, true);
  EXPECT_EQ(m.parameter_copy_bytes, 5 * 4);
  EXPECT_EQ(m.live_bytes, m.inference_live_bytes + 5 * 4);
  EXPECT_GE(m.peak_bytes, m.live_bytes);
}

// The forward pass as an inference plan runs it: per_layer's plan is the step's own buffers; the
// in-place plan serves where the backward pass reads nothing it writes over, and is refused,
// naming the tensor, where it does (the depthwise layer's input, for its weight gradient).
TEST(TrainingMemory, TheForwardPassCanBeAnInferencePlanThatKeepsWhatTheBackwardPassReads) {
  const core::Graph g = kilonas::testing::PoolNetwork();
  UpdateScheme s;
  s.layers = {{"expand", true, {8}}, {"fc", true, {8}}};
  const memory_planner::MemoryPlan per_layer = memory_planner::PlanPerLayer(g);
  const memory_planner::MemoryPlan in_place = memory_planner::PlanInPlace(g);
  EXPECT_EQ(Plan(g, s, true, &per_layer).live_bytes, Plan(g, s, true).live_bytes);
  const TrainingMemory planned = Plan(g, s, true, &in_place);
  EXPECT_EQ(planned.inference_live_bytes, in_place.MaxLiveBytes());  // its buffers and scratch as planned
  EXPECT_GE(planned.live_bytes, planned.inference_live_bytes);
  s.layers = {{"dw", false, {8}}};
  core::Result<TrainingMemory> refused = TryPlan(g, s, true, &in_place);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("writes over tensor"), std::string::npos) << refused.error().message;
}

UpdateScheme RandomSparse(const core::Graph& g, std::mt19937& rng) {
  UpdateScheme s;
  for (const core::Op& op : g.ops()) {
    if (!core::Traits(op.kind).has_weights || !std::bernoulli_distribution(0.15)(rng)) continue;
    const int eighths[] = {1, 2, 4, 8};
    s.layers.push_back({op.name, true, {eighths[rng() % 4]}});
  }
  if (s.layers.empty()) s.layers.push_back({g.op(static_cast<int>(g.ops().size()) - 1).name, true, {0}});
  return s;
}

// On random residual networks: every plan is checked for overlaps inside PlanTrainingMemory; the
// most bytes live at once (a bound no packing beats) never grows with reordering or pruning.
TEST(TrainingMemory, ReorderingAndPruningNeverNeedMoreOnRandomNetworks) {
  std::mt19937 rng(12);
  for (int trial = 0; trial < 25; ++trial) {
    const core::Graph g = kilonas::testing::RandomGraph(rng);
    const UpdateScheme sparse = RandomSparse(g, rng), full = LastLayers(GraphOnly(g), 1000);
    const TrainingMemory reordered = Plan(g, sparse, true), kept_to_end = Plan(g, sparse, false);
    const TrainingMemory full_reordered = Plan(g, full, true);
    EXPECT_LE(reordered.live_bytes, kept_to_end.live_bytes) << trial;
    EXPECT_LE(reordered.live_bytes, full_reordered.live_bytes) << trial;
    EXPECT_GE(reordered.live_bytes, reordered.inference_live_bytes) << trial;
    EXPECT_GE(reordered.peak_bytes, reordered.live_bytes) << trial;
    EXPECT_EQ(reordered.inference_bytes, full_reordered.inference_bytes) << trial;
  }
}

}  // namespace
}  // namespace kilonas::ondevice
