// The .tflite writer: an exported model read back by the importer is the same graph with the same
// int8 constants (every multiplier, shift, clamp and bias), and runs to the same bytes. Checked
// on TFLite Micro's two models (imported, exported, imported again) and on random quantized
// inverted-residual networks (strided windows padded symmetrically: PAD before a VALID window;
// residual adds, global pool as MEAN, fully connected) and a SAME-padded network.
#include "tflite/export.h"

#include <gtest/gtest.h>

#include <random>

#include "core/graph_json.h"
#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "tests/support/random_graphs.h"
#include "tests/support/source_path.h"
#include "tflite/import.h"

namespace kilonas::tflite {
namespace {

// The graph as the importer writes it: ops outside any block, int8 weights.
std::string Normalized(core::Graph g) {
  for (size_t i = 0; i < g.ops().size(); ++i) {
    g.mutable_op(static_cast<int>(i)).block = -1;
    g.mutable_op(static_cast<int>(i)).weights = core::WeightLayout::kInt8;
  }
  return core::GraphToJson(g).dump(1);
}

void ExpectSameConstants(const engine::OpConstants& a, const engine::OpConstants& b, const std::string& op) {
  EXPECT_EQ(a.weights, b.weights) << op;
  EXPECT_EQ(a.bias, b.bias) << op;
  EXPECT_EQ(a.multiplier, b.multiplier) << op;
  EXPECT_EQ(a.shift, b.shift) << op;
  EXPECT_EQ(std::vector<int32_t>({a.act_min, a.act_max, a.left_shift, a.input1_multiplier, a.input1_shift,
                                  a.input2_multiplier, a.input2_shift, a.output_multiplier, a.output_shift}),
            std::vector<int32_t>({b.act_min, b.act_max, b.left_shift, b.input1_multiplier, b.input1_shift,
                                  b.input2_multiplier, b.input2_shift, b.output_multiplier, b.output_shift}))
      << op;
}

// Exports, reads back and imports `model`; the result equals it and gives the same bytes.
// With `float_edges` the file has float32 input and output (a QUANTIZE and a DEQUANTIZE at its
// edges); the importer takes the int8 body between them.
void ExpectRoundTrip(const engine::Model& model, const std::string& name, bool float_edges = false) {
  core::Result<std::string> bytes = float_edges ? ExportTfliteWithFloatEdges(model, name) : ExportTflite(model, name);
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  const std::vector<uint8_t> file(bytes.value().begin(), bytes.value().end());
  core::Result<Model> read = ParseModel(file, name + ".tflite");
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(FloatEdgesOf(read.value()).input, float_edges) << name;
  EXPECT_EQ(FloatEdgesOf(read.value()).output, float_edges) << name;
  core::Result<engine::Model> back = ImportModel(read.value(), name + ".tflite");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(Normalized(back.value().graph), Normalized(model.graph)) << name;
  ASSERT_EQ(back.value().constants.size(), model.constants.size());
  for (size_t i = 0; i < model.constants.size(); ++i) {
    ExpectSameConstants(back.value().constants[i], model.constants[i],
                        name + " op " + model.graph.op(static_cast<int>(i)).name);
  }
  std::mt19937 rng(5);
  std::vector<int8_t> input(static_cast<size_t>(model.graph.tensor(model.graph.input()).shape.Elements()));
  for (int8_t& v : input) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
  EXPECT_EQ(engine::Interpreter::Create(back.value()).value().Invoke(input).value(),
            engine::Interpreter::Create(model).value().Invoke(input).value())
      << name;
}

TEST(TfliteExport, TfliteMicrosModelsComeBackAsTheyWereImported) {
  for (const std::string file : {"person_detect.tflite", "micro_speech_quantized.tflite"}) {
    core::Result<Model> m = LoadModel(kilonas::testing::SourcePath("tests/tflite/data/" + file));
    ASSERT_TRUE(m.ok()) << m.error().message;
    core::Result<engine::Model> imported = ImportModel(m.value(), file);
    ASSERT_TRUE(imported.ok()) << imported.error().message;
    ExpectRoundTrip(imported.value(), file);
    ExpectRoundTrip(imported.value(), file + " with float edges", /*float_edges=*/true);
  }
}

// A QUANTIZE or DEQUANTIZE inside the graph (here: the float-edge file's QUANTIZE once the model's
// input is its int8 output, so that it reads a tensor nothing wrote) is named, not imported.
TEST(TfliteImport, AQuantizeAwayFromTheEdgesIsNamed) {
  core::Result<Model> m = LoadModel(kilonas::testing::SourcePath("tests/tflite/data/micro_speech_quantized.tflite"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  core::Result<std::string> bytes = ExportTfliteWithFloatEdges(ImportModel(m.value(), "speech").value(), "speech");
  ASSERT_TRUE(bytes.ok()) << bytes.error().message;
  core::Result<Model> read = ParseModel(std::vector<uint8_t>(bytes.value().begin(), bytes.value().end()), "f.tflite");
  ASSERT_TRUE(read.ok()) << read.error().message;
  Model inner = read.value();
  inner.inputs[0] = inner.operators.front().outputs[0];
  EXPECT_FALSE(FloatEdgesOf(inner).input);
  core::Result<engine::Model> imported = ImportModel(inner, "f.tflite");
  ASSERT_FALSE(imported.ok());
  EXPECT_NE(imported.error().message.find("QUANTIZE): imported only at the graph's edges"), std::string::npos)
      << imported.error().message;
}

// The float input as TFLite's QUANTIZE makes it int8: round(x / scale) + zero point in float,
// clamped; what is not a number becomes the zero point.
TEST(TfliteImport, TheInputEdgeQuantizesAsTflitesKernel) {
  engine::Model body;
  core::Tensor input{"in", {1, 1, 6}, core::DType::kInt8, {}};
  input.quant = {{0.5f}, {-3}};
  body.graph.SetInput(body.graph.AddTensor(input));
  const std::vector<int8_t> q = QuantizeAtInputEdge(body, {0.0f, 0.25f, -0.25f, 1000.0f, -1000.0f, NAN});
  EXPECT_EQ(q, (std::vector<int8_t>{-3, -2, -4, 127, -128, -3}));  // 0.5 and -0.5 round away from zero
}

engine::Model QuantizedRandom(const core::Graph& g, std::mt19937& rng) {
  const core::FloatModel fm = core::RandomFloatModel(g, rng);
  const core::Shape in = g.tensor(g.input()).shape;
  std::vector<std::vector<float>> calibration(4);
  for (std::vector<float>& image : calibration) {
    for (int64_t i = 0; i < in.Elements(); ++i) image.push_back(std::uniform_real_distribution<float>(-1, 1)(rng));
  }
  core::Result<engine::Model> model = engine::Quantize(fm, calibration, {memory_planner::PlanMode::kPerLayer});
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  return model.ok() ? model.value() : engine::Model{};
}

TEST(TfliteExport, QuantizedNetworksComeBackWithTheSameConstants) {
  std::mt19937 rng(17);
  for (int trial = 0; trial < 12; ++trial) {
    const core::Graph g = kilonas::testing::RandomGraph(rng);
    ExpectRoundTrip(QuantizedRandom(g, rng), "random_" + std::to_string(trial));
  }
  ExpectRoundTrip(QuantizedRandom(kilonas::testing::SamePaddedNetwork(), rng), "same_padded");
  ExpectRoundTrip(QuantizedRandom(kilonas::testing::TflitePoolNetwork(), rng), "pools");
}

// The form given to Arm NN (padded depthwise convolutions as CONV_2D with zeros off the channel
// diagonal) reads back as a different graph that computes the same bytes; a model without such a
// depthwise convolution is written the same in both forms.
TEST(TfliteExport, TheArmnnFormComputesTheSameBytes) {
  std::mt19937 rng(23);
  int rewritten = 0;
  for (int trial = 0; trial < 6; ++trial) {
    const engine::Model model = QuantizedRandom(kilonas::testing::RandomGraph(rng), rng);
    core::Result<std::string> bytes = ExportTfliteForArmnn(model, "armnn");
    ASSERT_TRUE(bytes.ok()) << bytes.error().message;
    core::Result<Model> read = ParseModel(std::vector<uint8_t>(bytes.value().begin(), bytes.value().end()), "armnn");
    ASSERT_TRUE(read.ok()) << read.error().message;
    core::Result<engine::Model> back = ImportModel(read.value(), "armnn.tflite");
    ASSERT_TRUE(back.ok()) << back.error().message;
    const int depthwise_before = core::CountOps(model.graph, core::OpKind::kDepthwiseConv2d);
    const int depthwise_after = core::CountOps(back.value().graph, core::OpKind::kDepthwiseConv2d);
    rewritten += depthwise_before - depthwise_after;
    if (depthwise_before == depthwise_after) {
      EXPECT_EQ(bytes.value(), ExportTflite(model, "armnn").value());
    }
    std::vector<int8_t> input(static_cast<size_t>(model.graph.tensor(model.graph.input()).shape.Elements()));
    for (int8_t& v : input) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
    EXPECT_EQ(engine::Interpreter::Create(back.value()).value().Invoke(input).value(),
              engine::Interpreter::Create(model).value().Invoke(input).value())
        << "trial " << trial;
  }
  EXPECT_GT(rewritten, 0) << "no random network had a padded depthwise convolution";
}

// An average pool padded otherwise than SAME has no .tflite form (a PAD would be counted in the
// mean): one error naming the op.
TEST(TfliteExport, AnAveragePoolPaddedOtherwiseThanSameIsNamed) {
  std::mt19937 rng(3);
  const engine::Model model = QuantizedRandom(kilonas::testing::PoolNetwork(true), rng);
  core::Result<std::string> bytes = ExportTflite(model, "pool");
  ASSERT_FALSE(bytes.ok());
  EXPECT_NE(bytes.error().message.find("(avg_pool2d): padded otherwise than TensorFlow's SAME"), std::string::npos)
      << bytes.error().message;
}

}  // namespace
}  // namespace kilonas::tflite
