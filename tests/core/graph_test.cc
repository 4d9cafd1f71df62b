#include "core/graph.h"

#include <gtest/gtest.h>

#include <random>

#include "core/graph_json.h"
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

// The weight layout is part of the IR: saved, loaded (files without the key read as int8), and
// only a pointwise op may store its weights wide.
TEST(GraphWeightLayout, RoundTripsThroughJsonAndOnlyPointwiseMayBeWide) {
  Graph g;
  const int in = g.AddTensor({"in", {4, 4, 8}});
  const int a = g.AddTensor({"a", {4, 4, 16}});
  g.SetInput(in);
  g.AddOp({OpKind::kPointwiseConv2d, "pw", {in}, a});
  g.SetOutput(a);
  g.mutable_op(0).weights = WeightLayout::kWide;
  ASSERT_TRUE(g.Validate().ok());
  nlohmann::json doc = GraphToJson(g);
  EXPECT_EQ(GraphFromJson(doc, "g.json").op(0).weights, WeightLayout::kWide);
  doc["ops"][0].erase("weights");
  EXPECT_EQ(GraphFromJson(doc, "g.json").op(0).weights, WeightLayout::kInt8);
  doc["ops"][0]["weights"] = "q15";
  try {
    GraphFromJson(doc, "g.json");
    ADD_FAILURE() << "accepted weights \"q15\"";
  } catch (const JsonError& e) {
    EXPECT_NE(std::string(e.what()).find("weights"), std::string::npos) << e.what();
  }
  Graph dw = TwoConvChain();
  dw.mutable_op(1).weights = WeightLayout::kWide;
  EXPECT_NE(dw.Validate().message().find("only a pointwise op"), std::string::npos);
  doc = GraphToJson(dw);
  EXPECT_THROW(GraphFromJson(doc, "g.json"), JsonError);
}

// Names reach generated C and reports: a file from elsewhere may only use a safe alphabet.
TEST(GraphJson, NamesOutsideTheSafeAlphabetAreRefusedNamingTheKey) {
  const nlohmann::json good = GraphToJson(TwoConvChain());
  EXPECT_NO_THROW(GraphFromJson(good, "g.json"));
  for (const std::string& name :
       std::vector<std::string>{"x */ #include <stdio.h> /*", "a b", "", "line\nbreak", std::string(129, 'a')}) {
    for (const char* part : {"ops", "tensors"}) {
      nlohmann::json doc = good;
      doc[part][0]["name"] = name;
      try {
        GraphFromJson(doc, "g.json");
        ADD_FAILURE() << part << " accepted name '" << name << "'";
      } catch (const JsonError& e) {
        EXPECT_NE(std::string(e.what()).find(std::string(part) + "[0].name"), std::string::npos) << e.what();
      }
    }
  }
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

// The parts BuildNet reports are the NetSpec's structure: per block an expand conv exactly when
// expand > 1, then the depthwise conv with the block's kernel and stride, the project conv to its
// channels and an add exactly for stride-1 same-channel blocks; stem first, classifier last.
TEST(BuildNet, PartsFollowTheNetSpecForRandomSpecs) {
  std::mt19937 rng(11);
  for (int trial = 0; trial < 50; ++trial) {
    const NetSpec spec = testing::RandomNetSpec(rng);
    const Result<BuiltNet> net = BuildNet(spec);
    ASSERT_TRUE(net.ok()) << net.error().message;
    const Graph& g = net.value().graph;
    const std::vector<SpecOp>& parts = net.value().parts;
    ASSERT_EQ(parts.size(), g.ops().size());
    EXPECT_EQ(parts.front().part, SpecPart::kStem);
    EXPECT_EQ(parts.back().part, SpecPart::kClassifier);
    size_t i = 1;
    int in_channels = spec.stem_channels;
    for (size_t b = 0; b < spec.blocks.size(); ++b) {
      const MbBlockSpec& blk = spec.blocks[b];
      if (blk.expand != 1) {
        ASSERT_EQ(parts[i].part, SpecPart::kExpand);
        EXPECT_EQ(parts[i++].block, static_cast<int>(b));
      }
      ASSERT_EQ(parts[i].part, SpecPart::kDepthwise);
      EXPECT_EQ(g.op(static_cast<int>(i)).kernel, blk.kernel);
      EXPECT_EQ(g.op(static_cast<int>(i)).stride, blk.stride);
      EXPECT_EQ(parts[i++].block, static_cast<int>(b));
      ASSERT_EQ(parts[i].part, SpecPart::kProject);
      EXPECT_EQ(g.OutputOf(g.op(static_cast<int>(i))).shape.c, blk.out_channels);
      EXPECT_EQ(parts[i++].block, static_cast<int>(b));
      if (blk.stride == 1 && in_channels == blk.out_channels) {
        ASSERT_EQ(parts[i].part, SpecPart::kResidualAdd);
        EXPECT_EQ(g.op(static_cast<int>(i++)).kind, OpKind::kAdd);
      }
      in_channels = blk.out_channels;
    }
    if (spec.head_channels > 0) {
      EXPECT_EQ(parts[i++].part, SpecPart::kHead);
    }
    EXPECT_EQ(parts[i++].part, SpecPart::kPool);
    EXPECT_EQ(i + 1, parts.size());
  }
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
