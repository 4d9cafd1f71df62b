// The importer on TFLite Micro's example models: what it refuses (every unsupported operator in
// one error, with its index and type; a non-square window named), and person detection's body
// (operators 0..28, everything but the final reshape and softmax) as an engine::Model: its
// layers, SAME padding, constants from the file's scales, and the same bits in every plan mode
// and kernel set.
#include "tflite/import.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "core/file_io.h"
#include "engine/interpreter.h"
#include "engine/quant_math.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/source_path.h"

namespace kilonas::tflite {
namespace {

Model Load(const std::string& name) {
  core::Result<Model> m = LoadModel(kilonas::testing::SourcePath("tests/tflite/data/" + name));
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? m.value() : Model{};
}

TEST(TfliteImport, EveryUnsupportedOperatorIsListedInOneError) {
  const core::Result<engine::Model> person = ImportModel(Load("person_detect.tflite"), "person_detect.tflite");
  ASSERT_FALSE(person.ok());
  EXPECT_EQ(person.error().message,
            "person_detect.tflite: 1 operator kilonas does not import (docs/tflite.md): operator 30 (SOFTMAX)");
  const core::Result<engine::Model> speech = ImportModel(Load("micro_speech_quantized.tflite"), "speech.tflite");
  ASSERT_FALSE(speech.ok());
  EXPECT_EQ(speech.error().message,
            "speech.tflite: 2 operators kilonas does not import (docs/tflite.md): operator 2 (FULLY_CONNECTED), "
            "operator 3 (SOFTMAX)");
  // Its supported prefix: the reshape of the input, then a 10x8 window, named.
  const core::Result<engine::Model> prefix =
      ImportModel(Load("micro_speech_quantized.tflite"), "speech.tflite", {1, {}});
  ASSERT_FALSE(prefix.ok());
  EXPECT_NE(prefix.error().message.find("speech.tflite: operator 1 (DEPTHWISE_CONV_2D): window 10x8"),
            std::string::npos)
      << prefix.error().message;
}

TEST(TfliteImport, PersonDetectionsBodyImportsWithItsPaddingAndConstants) {
  const Model m = Load("person_detect.tflite");
  const core::Result<engine::Model> imported = ImportModel(m, "person_detect.tflite", {28, {}});
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  const core::Graph& g = imported.value().graph;
  ASSERT_EQ(g.ops().size(), 29u);
  EXPECT_EQ(g.tensor(g.input()).shape, (core::Shape{96, 96, 1}));
  EXPECT_EQ(g.tensor(g.output()).shape, (core::Shape{1, 1, 2}));
  int depthwise = 0, pointwise = 0;
  for (const core::Op& op : g.ops()) {
    depthwise += op.kind == core::OpKind::kDepthwiseConv2d;
    pointwise += op.kind == core::OpKind::kPointwiseConv2d;
  }
  EXPECT_EQ(depthwise, 13);
  EXPECT_EQ(pointwise, 14);  // 13 between the depthwise layers and the final 1x1 classifier
  // The first layer: the depthwise with multiplier 8 on one channel, a 3x3 stride-2 convolution
  // padded as SAME pads 96 rows (0 before, 1 after), weights [1][3][3][8] read as [8][3][3][1].
  const core::Op& first = g.op(0);
  EXPECT_EQ(first.kind, core::OpKind::kConv2d);
  EXPECT_EQ(first.padding, 0);
  EXPECT_EQ(first.PaddingEnd(), 1);
  EXPECT_EQ(g.OutputOf(first).shape, (core::Shape{48, 48, 8}));
  const Tensor& filter = m.tensors[static_cast<size_t>(m.operators[0].inputs[1])];
  const engine::OpConstants& c = imported.value().constants[0];
  for (int oc = 0; oc < 8; ++oc) {
    for (int i = 0; i < 9; ++i) {
      ASSERT_EQ(static_cast<uint8_t>(c.weights[static_cast<size_t>(oc * 9 + i)]),
                filter.data[static_cast<size_t>(i * 8 + oc)]);
    }
    const Tensor& input = m.tensors[static_cast<size_t>(m.operators[0].inputs[0])];
    const Tensor& output = m.tensors[static_cast<size_t>(m.operators[0].outputs[0])];
    const engine::FixedPointMultiplier expected = engine::QuantizeMultiplier(
        static_cast<double>(input.scales[0]) * filter.scales[static_cast<size_t>(oc)] / output.scales[0]);
    EXPECT_EQ(c.multiplier[static_cast<size_t>(oc)], expected.multiplier);
    EXPECT_EQ(c.shift[static_cast<size_t>(oc)], expected.shift);
  }
  // The same bits in every plan mode and kernel set, patches included.
  std::vector<int8_t> input(96 * 96);
  for (size_t i = 0; i < input.size(); ++i) input[i] = static_cast<int8_t>((i * 37 + 11) & 0xFF);
  engine::Model model = imported.value();
  model.execution = {memory_planner::PlanMode::kPerLayer, true, 0, 0};
  const std::vector<int8_t> expected = engine::Interpreter::Create(model).value().Invoke(input).value();
  ASSERT_EQ(expected.size(), 2u);
  model.execution = {memory_planner::PlanMode::kInPlace, true, 0, 0};
  EXPECT_EQ(engine::Interpreter::Create(model).value().Invoke(input).value(), expected);
  EXPECT_EQ(engine::Interpreter::Create(model, engine::KernelSet::kReference).value().Invoke(input).value(), expected);
  core::Result<memory_planner::MemoryPlan> patch = memory_planner::PlanForMode(g, memory_planner::PlanMode::kPatch, {});
  ASSERT_TRUE(patch.ok()) << patch.error().message;
  model.execution = engine::ExecutionFor(patch.value());
  EXPECT_EQ(engine::Interpreter::Create(model).value().Invoke(input).value(), expected);
}

// Bit-flipped copies of a real model: each is refused with an error naming the file, or imports
// into a model the engine validates and runs (the sanitizer build runs this test).
TEST(TfliteImport, FlippedFilesAreRefusedOrImportIntoAModelThatRuns) {
  const core::Result<std::string> text =
      core::ReadTextFile(kilonas::testing::SourcePath("tests/tflite/data/person_detect.tflite"));
  ASSERT_TRUE(text.ok());
  const std::vector<uint8_t> good(text.value().begin(), text.value().end());
  std::mt19937 rng(11);
  int imported = 0;
  for (int trial = 0; trial < 200; ++trial) {
    std::vector<uint8_t> bytes = good;
    for (int flips = 0; flips < 4; ++flips) {
      bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] ^=
          static_cast<uint8_t>(1u << std::uniform_int_distribution<int>(0, 7)(rng));
    }
    const core::Result<Model> m = ParseModel(bytes, "flipped.tflite");
    if (!m.ok()) continue;
    const core::Result<engine::Model> model = ImportModel(m.value(), "flipped.tflite", {28, {}});
    if (!model.ok()) {
      EXPECT_EQ(model.error().message.rfind("flipped.tflite: ", 0), 0u) << model.error().message;
      continue;
    }
    ++imported;
    core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(model.value());
    if (!interpreter.ok()) continue;  // e.g. a flipped weight beyond the accumulator bound, refused by name
    const core::Shape& in = model.value().graph.tensor(model.value().graph.input()).shape;
    EXPECT_TRUE(interpreter.value().Invoke(std::vector<int8_t>(static_cast<size_t>(in.Elements()), 3)).ok());
  }
  EXPECT_GT(imported, 0);  // most flips land in weights: still a model
}

// The body's two logits against TFLite Micro's outputs for the whole model (../shared/tflite's
// README, committed in tests/tflite/data/README.md): softmax is monotonic in the logits'
// difference, so the real softmax of the body's logits, quantized as the model's output
// (scale 1/256, zero point -128), must land on TFLite Micro's byte, up to the one step its
// fixed-point exp may round differently. A wrong padding, weight layout or multiplier moves the
// logits far more than that.
TEST(TfliteImport, PersonDetectionsBodyAgreesWithTfliteMicrosOutputs) {
  const Model m = Load("person_detect.tflite");
  const core::Result<engine::Model> imported = ImportModel(m, "person_detect.tflite", {28, {}});
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  const core::Tensor& logits = imported.value().graph.tensor(imported.value().graph.output());
  const float scale = logits.quant.scales[0];
  const int32_t zero_point = logits.quant.zero_points[0];
  std::vector<std::pair<std::vector<int8_t>, int>> cases;  // input pattern, TFLite Micro's "person" byte
  std::vector<int8_t> zeros(96 * 96, 0), ramp(96 * 96), xorshift(96 * 96);
  uint32_t x = 0x2545F491u;
  for (size_t i = 0; i < ramp.size(); ++i) {
    ramp[i] = static_cast<int8_t>((i * 37 + 11) & 0xFF);
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    xorshift[i] = static_cast<int8_t>(x >> 24);
  }
  cases = {{zeros, -72}, {ramp, -64}, {xorshift, -107}};
  core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(imported.value());
  ASSERT_TRUE(interpreter.ok()) << interpreter.error().message;
  for (const auto& [input, person] : cases) {
    const std::vector<int8_t> out = interpreter.value().Invoke(input).value();
    const double difference = scale * ((out[1] - zero_point) - (out[0] - zero_point));  // person - no person
    const double p_person = 1.0 / (1.0 + std::exp(-difference));
    const int quantized = static_cast<int>(std::lround(p_person * 256.0)) - 128;
    EXPECT_NEAR(quantized, person, 1) << "logits " << int{out[0]} << ", " << int{out[1]};
  }
}

}  // namespace
}  // namespace kilonas::tflite
