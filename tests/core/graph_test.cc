#include "core/graph.h"

#include <random>

#include <gtest/gtest.h>

#include "core/net_spec.h"
#include "tests/support/random_graphs.h"

namespace kilonas::core {
namespace {

Graph TwoConvChain() {
  Graph g;
  const int in = g.AddTensor({"in", {8, 8, 3}});
  const int a = g.AddTensor({"a", {4, 4, 16}});
  const int b = g.AddTensor({"b", {4, 4, 16}});
  g.SetInput(in);
  g.AddOp({OpKind::kConv2d, "conv", {in}, a, 3, 2, 1, Activation::kRelu6});
  g.AddOp({OpKind::kDepthwiseConv2d, "dw", {a}, b, 3, 1, 1, Activation::kRelu6});
  g.SetOutput(b);
  return g;
}

TEST(GraphValidate, AcceptsAConsistentChain) { EXPECT_TRUE(TwoConvChain().Validate().ok()); }

TEST(GraphValidate, RejectsAnInputProducedLater) {
  Graph g;
  const int in = g.AddTensor({"in", {8, 8, 3}});
  const int a = g.AddTensor({"a", {8, 8, 3}});
  const int b = g.AddTensor({"b", {8, 8, 3}});
  g.SetInput(in);
  g.AddOp({OpKind::kDepthwiseConv2d, "first", {b}, a, 3, 1, 1});
  g.AddOp({OpKind::kDepthwiseConv2d, "second", {in}, b, 3, 1, 1});
  g.SetOutput(a);
  const Status s = g.Validate();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'first'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("not produced by an earlier op"), std::string::npos) << s.message();
}

TEST(GraphValidate, RejectsShapesThatDoNotFollowFromTheWindow) {
  Graph g;
  const int in = g.AddTensor({"in", {8, 8, 3}});
  const int a = g.AddTensor({"a", {8, 8, 16}});  // stride 2 should give 4x4
  g.SetInput(in);
  g.AddOp({OpKind::kConv2d, "conv", {in}, a, 3, 2, 1});
  g.SetOutput(a);
  EXPECT_NE(g.Validate().message().find("does not follow"), std::string::npos);
}

TEST(GraphValidate, RejectsDepthwiseThatChangesChannels) {
  Graph g;
  const int in = g.AddTensor({"in", {8, 8, 3}});
  const int a = g.AddTensor({"a", {8, 8, 6}});
  g.SetInput(in);
  g.AddOp({OpKind::kDepthwiseConv2d, "dw", {in}, a, 3, 1, 1});
  g.SetOutput(a);
  EXPECT_NE(g.Validate().message().find("channel count"), std::string::npos);
}

TEST(GraphValidate, RejectsAddOfDifferentShapes) {
  Graph g;
  const int in = g.AddTensor({"in", {8, 8, 4}});
  const int a = g.AddTensor({"a", {4, 4, 4}});
  const int b = g.AddTensor({"b", {4, 4, 4}});
  g.SetInput(in);
  g.AddOp({OpKind::kDepthwiseConv2d, "dw", {in}, a, 3, 2, 1});
  g.AddOp({OpKind::kAdd, "add", {in, a}, b});
  g.SetOutput(b);
  EXPECT_NE(g.Validate().message().find("operand shapes differ"), std::string::npos);
}

TEST(GraphMacs, CountsMultiplyAccumulatesPerOpKind) {
  const Graph g = TwoConvChain();
  EXPECT_EQ(g.Macs(g.op(0)), 4 * 4 * 16 * 3 * 3 * 3);
  EXPECT_EQ(g.Macs(g.op(1)), 4 * 4 * 16 * 3 * 3);
  EXPECT_EQ(g.WeightCount(g.op(0)), 16 * 3 * 3 * 3);
  EXPECT_EQ(g.BiasCount(g.op(1)), 16);
  EXPECT_EQ(g.TotalParams(), 16 * 27 + 16 + 16 * 9 + 16);
}

TEST(GraphMacs, MacsAreTheSumOverOutputPixelsOfEveryRandomGraph) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 50; ++trial) {
    const Graph g = testing::RandomGraph(rng);
    int64_t total = 0;
    for (const Op& op : g.ops()) {
      const Shape& out = g.OutputOf(op).shape;
      total += g.MacsPerOutputPixel(op) * out.h * out.w;
    }
    EXPECT_EQ(total, g.TotalMacs());
  }
}

TEST(BuildGraph, InsertsResidualAddOnlyForStrideOneSameChannelBlocks) {
  NetSpec spec;
  spec.name = "t";
  spec.resolution = 32;
  spec.stem_channels = 16;
  spec.blocks = {{16, 3, 1, 1}, {24, 5, 6, 2}, {24, 7, 3, 1}, {32, 3, 4, 1}};
  spec.head_channels = 0;
  Result<Graph> g = BuildGraph(spec);
  ASSERT_TRUE(g.ok()) << g.error().message;
  int adds = 0;
  for (const Op& op : g.value().ops()) adds += op.kind == OpKind::kAdd;
  EXPECT_EQ(adds, 2);  // block 0 (16 -> 16, s1) and block 2 (24 -> 24, s1)
  EXPECT_EQ(g.value().op(g.value().ops().size() - 1).kind, OpKind::kFullyConnected);
}

TEST(BuildGraph, RejectsEvenKernels) {
  NetSpec spec;
  spec.name = "bad";
  spec.blocks = {{16, 4, 6, 1}};
  Result<Graph> g = BuildGraph(spec);
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("block 0"), std::string::npos);
}

}  // namespace
}  // namespace kilonas::core
