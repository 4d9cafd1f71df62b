// The update scheme (ondevice/update_scheme.h): its JSON read back to the same scheme, every bad
// key named, and the scheme held against the model it was made for.
#include "ondevice/update_scheme.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "engine/quantizer.h"
#include "tests/support/random_graphs.h"

namespace kilonas::ondevice {
namespace {

// PoolNetwork quantized: stem (conv), expand (pointwise), dw (depthwise), fc; pools between.
engine::Model PoolModel() {
  std::mt19937 rng(3);
  const core::Graph g = kilonas::testing::PoolNetwork();
  std::vector<std::vector<float>> calibration{kilonas::testing::RandomPoolImage(rng)};
  return engine::Quantize(core::RandomFloatModel(g, rng), calibration, {}).value();
}

bool SameScheme(const UpdateScheme& a, const UpdateScheme& b) {
  if (a.model != b.model || a.learning_rate != b.learning_rate || a.steps != b.steps || a.batch_size != b.batch_size ||
      a.qas != b.qas || a.stochastic_rounding != b.stochastic_rounding || a.layers.size() != b.layers.size()) {
    return false;
  }
  for (size_t i = 0; i < a.layers.size(); ++i) {
    const LayerUpdate &x = a.layers[i], &y = b.layers[i];
    if (x.layer != y.layer || x.bias != y.bias || x.weights.eighths != y.weights.eighths) return false;
  }
  return true;
}

TEST(UpdateScheme, ItsJsonReadsBackToTheSameScheme) {
  UpdateScheme s;
  s.model = "out/export/model.kmodel";
  s.learning_rate = 0.0625;
  s.steps = 300;
  s.batch_size = 4;
  s.qas = false;
  s.stochastic_rounding = false;
  s.layers = {{"expand", true, {1}}, {"dw", false, {4}}, {"fc", true, {8}}, {"stem", true, {0}}};
  core::Result<UpdateScheme> back = ParseUpdateScheme(UpdateSchemeJson(s), "s.json");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(SameScheme(back.value(), s)) << UpdateSchemeJson(back.value());
}

TEST(UpdateScheme, ChannelRatiosAreTheFiveOfMcunetV3) {
  for (const char* text : {"0", "1/8", "1/4", "1/2", "1"}) {
    core::Result<ChannelRatio> r = ParseChannelRatio(text);
    ASSERT_TRUE(r.ok()) << text;
    EXPECT_EQ(r.value().Text(), text);
  }
  for (const char* text : {"1/3", "2/8", "0.5", "", "1/16"}) EXPECT_FALSE(ParseChannelRatio(text).ok()) << text;
  EXPECT_EQ(ChannelRatio{1}.Channels(12), 2);  // the first ceil(12 / 8) channels
  EXPECT_EQ(ChannelRatio{4}.Channels(5), 3);
  EXPECT_EQ(ChannelRatio{8}.Channels(5), 5);
  EXPECT_EQ(ChannelRatio{0}.Channels(5), 0);
}

TEST(UpdateScheme, EveryBadKeyIsNamed) {
  const std::string head = R"({"schema_version": 1, "model": "m.kmodel", )";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {head + R"("layers": [], "momentum": 0.9})", "key 'momentum'"},
      {head + R"("layers": [{"layer": "fc", "weights": "1/3"}]})", "key 'layers[0].weights'"},
      {head + R"("layers": [{"layer": "fc", "bias": 1}]})", "key 'layers[0].bias'"},
      {head + R"("layers": [{"layer": "fc", "ratio": "1"}]})", "key 'layers[0].ratio'"},
      {head + R"("layers": [{"layer": ""}]})", "key 'layers[0].layer'"},
      {head + R"("layers": [], "learning_rate": -1})", "key 'learning_rate'"},
      {head + R"("layers": [], "steps": 0})", "key 'steps'"},
      {head + R"("layers": [], "rounding": "up"})", "key 'rounding'"},
      {head + R"("layers": [], "batch_size": 5000})", "key 'batch_size'"},
      {head + R"("layers": {}})", "key 'layers'"},
      {R"({"schema_version": 1, "layers": []})", "key 'model'"},
      {R"({"schema_version": 2, "model": "m", "layers": []})", "schema_version"},
      {R"({"schema_version": 1, "model": "m", "layers": [)", "malformed JSON"},
  };
  for (const auto& [text, named] : cases) {
    core::Result<UpdateScheme> s = ParseUpdateScheme(text, "bad.json");
    ASSERT_FALSE(s.ok()) << text;
    EXPECT_NE(s.error().message.find("bad.json: "), std::string::npos) << s.error().message;
    EXPECT_NE(s.error().message.find(named), std::string::npos) << s.error().message;
  }
}

TEST(UpdateScheme, IsHeldAgainstItsModel) {
  const engine::Model model = PoolModel();
  UpdateScheme s;
  s.layers = {{"expand", true, {2}}, {"fc", true, {8}}};
  EXPECT_TRUE(ValidateUpdateScheme(s, model, "s.json").ok());
  const std::vector<std::pair<std::vector<LayerUpdate>, std::string>> bad = {
      {{{"nope", true, {0}}}, "layer 'nope': the model has no op of that name"},
      {{{"pool1", true, {0}}}, "layer 'pool1' (avg_pool2d) has no weights or bias"},
      {{{"fc", true, {0}}, {"fc", false, {8}}}, "layer 'fc' is named twice"},
      {{{"fc", false, {0}}}, "the scheme updates nothing"},
      {{}, "the scheme updates nothing"},
      {{{"fc", false, {3}}}, "layer 'fc': weights ratio of 3 eighths"},
  };
  for (const auto& [layers, named] : bad) {
    s.layers = layers;
    const core::Status status = ValidateUpdateScheme(s, model, "s.json");
    ASSERT_FALSE(status.ok()) << named;
    EXPECT_NE(status.message().find("s.json: " + named), std::string::npos) << status.message();
  }
}

// The baselines MCUNetV3 compares with, and the parameters each updates: biases, plus the whole
// weights of the layers for "the last k layers".
TEST(UpdateScheme, LastKBaselinesCountTheirParameters) {
  const engine::Model model = PoolModel();
  const core::Graph& g = model.graph;
  const UpdateScheme biases = LastBiases(model, 2), layers = LastLayers(model, 2), all = LastLayers(model, 100);
  ASSERT_EQ(biases.layers.size(), 2u);
  EXPECT_EQ(biases.layers.back().layer, "fc");
  EXPECT_TRUE(ValidateUpdateScheme(biases, model, "b").ok());
  int64_t bias_count = 0, weight_count = 0, all_count = 0;
  for (const core::Op& op : g.ops()) {
    if (op.name == "dw" || op.name == "fc") {
      bias_count += g.BiasCount(op);
      weight_count += g.WeightCount(op);
    }
    all_count += g.BiasCount(op) + g.WeightCount(op);
  }
  EXPECT_EQ(UpdatedParameters(biases, model), bias_count);
  EXPECT_EQ(UpdatedParameters(layers, model), bias_count + weight_count);
  EXPECT_EQ(UpdatedParameters(all, model), all_count);
  EXPECT_EQ(all_count, g.TotalParams());
}

TEST(UpdateScheme, ANewClassifierIsSmallRandomAndTrainedWhole) {
  engine::Model model = PoolModel();
  const engine::Model before = model;
  UpdateScheme scheme = LastBiases(model, 2);  // the biases of dw and fc
  core::Result<std::string> head = ReinitialiseClassifier(model, scheme, 9);
  ASSERT_TRUE(head.ok()) << head.error().message;
  EXPECT_EQ(head.value(), "fc");
  const engine::OpConstants& fc = model.constants.back();
  EXPECT_TRUE(std::all_of(fc.weights.begin(), fc.weights.end(), [](int8_t w) { return w >= -16 && w <= 16; }));
  EXPECT_NE(fc.weights, before.constants.back().weights);
  EXPECT_TRUE(std::all_of(fc.bias.begin(), fc.bias.end(), [](int32_t b) { return b == 0; }));
  EXPECT_EQ(fc.multiplier, before.constants.back().multiplier);  // its scales kept
  ASSERT_EQ(scheme.layers.size(), 2u);
  EXPECT_EQ(scheme.layers.back().layer, "fc");
  EXPECT_TRUE(scheme.layers.back().bias);
  EXPECT_EQ(scheme.layers.back().weights.eighths, 8);
  for (size_t i = 0; i + 1 < model.constants.size(); ++i)
    EXPECT_EQ(model.constants[i].weights, before.constants[i].weights);
}

}  // namespace
}  // namespace kilonas::ondevice
