#include <random>

#include <gtest/gtest.h>

#include "core/file_io.h"
#include "core/ofa_space.h"
#include "core/reference_nets.h"
#include "latency_models/predictor.h"
#include "latency_models/space_keys.h"

namespace kilonas::latency_models {
namespace {

TEST(OpKey, TextFormIsStableAndRoundTrips) {
  const core::Graph g = core::BuildGraph(core::MobileNetV2(0.35, 96, 10)).value();
  EXPECT_EQ(KeyOf(g, g.op(0)).ToString(), "conv2d k3 s2 96x96x3 -> 48x48x16");
  EXPECT_EQ(KeyOf(g, g.op(1)).ToString(), "depthwise_conv2d k3 s1 48x48x16 -> 48x48x16");
  for (const OpKey& key : SpaceOpKeys(core::FashionMnistSpace())) {
    core::Result<OpKey> parsed = ParseOpKey(key.ToString());
    ASSERT_TRUE(parsed.ok()) << key.ToString();
    EXPECT_EQ(parsed.value(), key);
    EXPECT_EQ(OpKeyHash()(parsed.value()), OpKeyHash()(key));
  }
}

TEST(OpKey, SameOpInDifferentGraphsHasTheSameKey) {
  const core::Graph a = core::BuildGraph(core::MobileNetV2(0.35, 96, 10)).value();
  const core::Graph b = core::BuildGraph(core::MobileNetV2(0.35, 96, 1000)).value();
  for (size_t i = 0; i + 1 < a.ops().size(); ++i) {  // all but the classifier
    EXPECT_EQ(KeyOf(a, a.op(static_cast<int>(i))), KeyOf(b, b.op(static_cast<int>(i))));
  }
  EXPECT_FALSE(KeyOf(a, a.ops().back()) == KeyOf(b, b.ops().back()));
}

TEST(OpKey, MalformedTextIsAnError) {
  for (const char* bad : {"", "conv2d", "relu k1 s1 1x1x1 -> 1x1x1", "conv2d k3 s2 8x8x3 -> 4x4", "conv2d k3 s2 8x8x3 -> 4x4x8 x"}) {
    EXPECT_FALSE(ParseOpKey(bad).ok()) << bad;
  }
}

TEST(SpaceOpKeys, EveryOpOfRandomSubnetsIsEnumerated) {
  const core::OfaSpace space = core::FashionMnistSpace();
  const std::vector<OpKey> keys = SpaceOpKeys(space);
  std::mt19937 rng(1);
  for (int trial = 0; trial < 100; ++trial) {
    const core::SubnetConfig c = core::SampleSubnet(space, rng);
    const core::Graph g = core::BuildSubnetGraph(space, c).value();
    for (const core::Op& op : g.ops()) {
      EXPECT_TRUE(std::binary_search(keys.begin(), keys.end(), KeyOf(g, op))) << KeyOf(g, op).ToString();
    }
  }
}

LatencyLut SyntheticLut() {
  // cycles = 3 * MACs + 2 * output elements + 100, on the fmnist space's pointwise keys only.
  LatencyLut lut;
  lut.mcu = "test";
  lut.provenance = {"0", "qemu-icount", "2026-01-01T00:00:00Z", "cortex-m7", "test", 1.0, 100.0, ""};
  for (const OpKey& key : SpaceOpKeys(core::FashionMnistSpace())) {
    if (key.kind != core::OpKind::kPointwiseConv2d) continue;
    lut.entries[key] = {0, 3.0 * KeyMacs(key) + 2.0 * key.out.Elements() + 100};
  }
  return lut;
}

TEST(LatencyPredictor, FallbackModelRecoversALinearCostAndCountsMisses) {
  const LatencyPredictor predictor(SyntheticLut());
  const OpKey unseen{core::OpKind::kPointwiseConv2d, 1, 1, {7, 7, 40}, {7, 7, 200}};
  bool miss = false;
  const double cycles = predictor.Cycles(unseen, &miss);
  EXPECT_TRUE(miss);
  EXPECT_NEAR(cycles, 3.0 * KeyMacs(unseen) + 2.0 * 49 * 200 + 100, 1.0);
  const OpKey seen = predictor.lut().entries.begin()->first;
  EXPECT_DOUBLE_EQ(predictor.Cycles(seen, &miss), predictor.lut().entries.begin()->second.cycles);
  EXPECT_FALSE(miss);
  // A whole network: every non-pointwise op (and unseen pointwise) is a miss.
  const core::Graph g = core::BuildSubnetGraph(core::FashionMnistSpace(), core::LargestSubnet(core::FashionMnistSpace())).value();
  const LatencyPrediction p = predictor.Predict(g);
  EXPECT_EQ(p.ops, static_cast<int>(g.ops().size()));
  EXPECT_GT(p.misses, 0);
  EXPECT_NEAR(p.ms, p.cycles / (100.0 * 1e3), 1e-9);
}

TEST(CommittedLuts, CoverTheWholeFashionMnistSpaceWithProvenance) {
  const std::vector<OpKey> keys = SpaceOpKeys(core::FashionMnistSpace());
  for (const char* mcu : {"stm32f746", "stm32f412"}) {
    core::Result<LatencyLut> lut = LoadLut(std::string("latency_models/luts/") + mcu + ".json");
    ASSERT_TRUE(lut.ok()) << lut.error().message;
    EXPECT_EQ(lut.value().mcu, mcu);
    EXPECT_EQ(lut.value().provenance.method, "qemu-icount");
    EXPECT_FALSE(lut.value().provenance.date.empty());
    for (const OpKey& key : keys) EXPECT_TRUE(lut.value().entries.count(key)) << key.ToString();
    for (const auto& [key, entry] : lut.value().entries) EXPECT_GT(entry.instructions, 0u) << key.ToString();
  }
}

TEST(LutFile, RoundTripAndClearErrors) {
  const LatencyLut lut = SyntheticLut();
  const std::string json = LutToJson(lut);
  core::Result<LatencyLut> parsed = ParseLut(json, "lut.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().entries.size(), lut.entries.size());
  EXPECT_EQ(LutToJson(parsed.value()), json);

  auto error = [](std::string text) {
    core::Result<LatencyLut> r = ParseLut(text, "lut.json");
    return r.ok() ? std::string() : r.error().message;
  };
  std::string bad = json;
  bad.replace(bad.find("\"qemu-icount\""), 13, "\"stopwatch\"");
  EXPECT_NE(error(bad).find("lut.json: key 'provenance.method'"), std::string::npos) << error(bad);
  bad = json;
  bad.replace(bad.find("pointwise_conv2d k1"), 19, "pointwise_conv2d kX");
  EXPECT_NE(error(bad).find("bad op key"), std::string::npos) << error(bad);
  bad = json;
  bad.replace(bad.find("\"cycles\""), 8, "\"cycels\"");
  EXPECT_NE(error(bad).find("missing"), std::string::npos) << error(bad);
  EXPECT_NE(error(json.substr(0, json.size() / 2)).find("lut.json: malformed JSON"), std::string::npos);
  EXPECT_NE(LoadLut("latency_models/luts/nope.json").error().message.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace kilonas::latency_models
