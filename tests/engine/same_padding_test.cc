// Padding as TensorFlow's SAME pads (more after than before): the shape rule, the graph file,
// the float network against an explicitly padded input, and the int8 network identical in every
// plan mode and kernel set, never run by an in-place kernel (whose padded copy is symmetric).
// Firmware == host: firmware_test.cc.
#include <gtest/gtest.h>

#include <random>

#include "core/graph_json.h"
#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "memory_planner/patch_plan.h"
#include "tests/engine/every_mode.h"
#include "tests/support/random_graphs.h"

namespace kilonas::engine {
namespace {

core::Graph OneConv(int in, int out, int padding, int padding_end) {
  core::Graph g;
  g.SetInput(g.AddTensor({"input", {in, in, 2}}));
  core::Op op{core::OpKind::kConv2d, "conv", {0}, -1, 3, 2, padding, core::Activation::kNone, -1};
  op.padding_end = padding_end;
  op.output = g.AddTensor({"out", {out, out, 3}});
  g.AddOp(op);
  g.SetOutput(op.output);
  return g;
}

TEST(SamePadding, TheOutputSizeCountsThePaddingOnBothSides) {
  EXPECT_TRUE(OneConv(96, 48, 0, 1).Validate().ok());   // SAME on an even map: 0 before, 1 after
  EXPECT_TRUE(OneConv(96, 47, 0, -1).Validate().ok());  // VALID
  EXPECT_TRUE(OneConv(96, 48, 1, -1).Validate().ok());  // kilonas's own: 1 on both sides
  EXPECT_FALSE(OneConv(96, 48, 0, -1).Validate().ok());
  EXPECT_FALSE(OneConv(96, 48, 0, 3).Validate().ok());  // a whole window of padding
  EXPECT_FALSE(OneConv(96, 48, 0, -2).Validate().ok());
}

TEST(SamePadding, GraphFilesKeepItAndSymmetricGraphsDoNotMentionIt) {
  const core::Graph same = kilonas::testing::SamePaddedNetwork();
  ASSERT_TRUE(same.Validate().ok()) << same.Validate().message();
  const nlohmann::ordered_json doc = core::GraphToJson(same);
  EXPECT_EQ(doc["ops"][0]["padding_end"], 1);
  EXPECT_FALSE(doc["ops"][2].contains("padding_end"));
  const core::Graph back = core::GraphFromJson(nlohmann::json::parse(doc.dump()), "graph.json");
  for (size_t i = 0; i < same.ops().size(); ++i) {
    EXPECT_EQ(back.op(static_cast<int>(i)).PaddingEnd(), same.op(static_cast<int>(i)).PaddingEnd()) << i;
  }
  EXPECT_FALSE(core::GraphToJson(kilonas::testing::PoolNetwork()).dump().find("padding_end") != std::string::npos);
}

// The float conv equals the same conv, unpadded, on the input padded by hand (zeros: 0 rows and
// columns before, 1 after).
TEST(SamePadding, TheFloatNetworkPadsAfterTheLastRowAndColumn) {
  std::mt19937 rng(5);
  const core::Graph g = OneConv(8, 4, 0, 1);
  const core::FloatModel fm = core::RandomFloatModel(g, rng);
  std::vector<float> image(8 * 8 * 2), padded(9 * 9 * 2, 0.0f);
  for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) {
      for (int c = 0; c < 2; ++c) padded[(y * 9 + x) * 2 + c] = image[(y * 8 + x) * 2 + c];
    }
  }
  core::FloatModel valid = fm;
  valid.graph = OneConv(9, 4, 0, -1);
  valid.graph.mutable_tensor(0).shape = {9, 9, 2};
  const std::vector<float> expected = core::RunFloat(valid, padded)[valid.graph.output()];
  const std::vector<float> got = core::RunFloat(fm, image)[g.output()];
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], 1e-5) << i;
}

// The in-place depthwise kernels pad their channel copy as the op pads: 0 before and 1 after too.
TEST(SamePadding, EveryPlanModeAndKernelSetGivesTheSameBitsAndBothDepthwiseLayersRunInPlace) {
  std::mt19937 rng(44);
  const core::Graph g = kilonas::testing::SamePaddedNetwork();
  Model m = testing::ExpectSameBitsInEveryMode(g, rng);
  m.execution = {memory_planner::PlanMode::kInPlace, true, 0, 0};
  core::Result<Interpreter> in_place = Interpreter::Create(m);
  ASSERT_TRUE(in_place.ok()) << in_place.error().message;
  EXPECT_NE(in_place.value().plan().op_writes_over[1], -1);  // dw_s2: 0 before, 1 after
  EXPECT_NE(in_place.value().plan().op_writes_over[3], -1);  // dw_s1: symmetric, in place
}

}  // namespace
}  // namespace kilonas::engine
