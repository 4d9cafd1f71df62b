// The importer on TFLite Micro's example models: what it refuses (every unsupported operator in
// one error, with its index and type; windows the kernels do not take, named), both whole models
// bit-exact with TFLite Micro, and person detection's body
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
#include "tests/tflite/readme_inputs.h"

namespace kilonas::tflite {
namespace {

Model Load(const std::string& name) {
  core::Result<Model> m = LoadModel(kilonas::testing::SourcePath("tests/tflite/data/" + name));
  EXPECT_TRUE(m.ok()) << (m.ok() ? "" : m.error().message);
  return m.ok() ? m.value() : Model{};
}

TEST(TfliteImport, EveryUnsupportedOperatorIsListedInOneError) {
  Model m = Load("micro_speech_quantized.tflite");
  m.operators[1].builtin = static_cast<int32_t>(Builtin::kCustom);
  m.operators[1].custom = "Spectrogram";
  m.operators[2].builtin = 27;  // SVDF
  const core::Result<engine::Model> speech = ImportModel(m, "speech.tflite");
  ASSERT_FALSE(speech.ok());
  EXPECT_EQ(speech.error().message,
            "speech.tflite: 2 operators kilonas does not import (docs/tflite.md): operator 1 (CUSTOM 'Spectrogram'), "
            "operator 2 (SVDF)");
}

// Unequal strides and a depthwise window of other columns than rows (on more than one channel)
// are named, not imported wrongly.
TEST(TfliteImport, WindowsTheKernelsDoNotTakeAreNamed) {
  Model m = Load("micro_speech_quantized.tflite");
  m.operators[1].stride_w = 1;
  const core::Result<engine::Model> strides = ImportModel(m, "speech.tflite");
  ASSERT_FALSE(strides.ok());
  EXPECT_EQ(strides.error().message,
            "speech.tflite: operator 1 (DEPTHWISE_CONV_2D): strides 2x1: kilonas imports equal strides along rows and "
            "columns");
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

using testing::ReadmeInputs;

// The whole model gives exactly TFLite Micro's output bytes (`expected`, one per ReadmeInputs
// pattern) in every plan mode (the best patch plan, and 2x2 and 3x3 patches at every split) and
// kernel set.
void ExpectTfliteMicrosBytes(const std::string& file, const std::vector<std::vector<int8_t>>& expected) {
  const core::Result<engine::Model> imported = ImportModel(Load(file), file);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  const core::Graph& g = imported.value().graph;
  EXPECT_EQ(g.op(static_cast<int>(g.ops().size()) - 1).kind, core::OpKind::kSoftmax);
  const std::vector<std::vector<int8_t>> inputs =
      ReadmeInputs(static_cast<size_t>(g.tensor(g.input()).shape.Elements()));
  core::Result<memory_planner::MemoryPlan> best = memory_planner::PlanForMode(g, memory_planner::PlanMode::kPatch, {});
  ASSERT_TRUE(best.ok()) << best.error().message;
  std::vector<engine::ExecutionConfig> executions = {{memory_planner::PlanMode::kPerLayer, true, 0, 0},
                                                     {memory_planner::PlanMode::kInPlace, true, 0, 0},
                                                     engine::ExecutionFor(best.value())};
  for (int split : memory_planner::PatchSplitCandidates(g)) {
    for (int patches : {2, 3}) executions.push_back({memory_planner::PlanMode::kPatch, true, patches, split});
  }
  engine::Model model = imported.value();
  int planned = 0;
  for (const engine::ExecutionConfig& execution : executions) {
    model.execution = execution;
    if (!engine::PlanModel(model).ok()) continue;  // patches larger than a late stage's output
    ++planned;
    for (engine::KernelSet set : {engine::KernelSet::kOptimized, engine::KernelSet::kReference}) {
      core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(model, set);
      ASSERT_TRUE(interpreter.ok()) << interpreter.error().message;
      for (size_t i = 0; i < inputs.size(); ++i) {
        EXPECT_EQ(interpreter.value().Invoke(inputs[i]).value(), expected[i])
            << file << ", input " << i << ", mode " << memory_planner::PlanModeName(execution.mode) << " "
            << execution.patches_per_side << "x" << execution.patches_per_side << " split " << execution.split_op;
      }
    }
  }
  EXPECT_GE(planned, 5);  // per_layer, in-place, the best plan and at least two patch plans
}

// SQUEEZE is a view as RESHAPE is: person detection with its final reshape (1x1x1x2 -> 1x2) made
// a SQUEEZE gives the same bytes.
TEST(TfliteImport, ASqueezeIsAViewLikeAReshape) {
  Model m = Load("person_detect.tflite");
  Operator& last_reshape = m.operators.at(29);
  ASSERT_EQ(last_reshape.builtin, static_cast<int32_t>(Builtin::kReshape));
  last_reshape.builtin = static_cast<int32_t>(Builtin::kSqueeze);
  last_reshape.squeeze_dims = {1, 2};
  core::Result<engine::Model> imported = ImportModel(m, "person_detect.tflite");
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(imported.value());
  ASSERT_TRUE(interpreter.ok()) << interpreter.error().message;
  EXPECT_EQ(interpreter.value().Invoke(ReadmeInputs(96 * 96)[2]).value(), std::vector<int8_t>({107, -107}));
}

TEST(TfliteImport, PersonDetectionGivesTfliteMicrosOutputBytes) {
  ExpectTfliteMicrosBytes("person_detect.tflite", {{72, -72}, {64, -64}, {107, -107}});  // zeros, ramp, xorshift
}

// A 10x8 convolution on one channel (DEPTHWISE_CONV_2D with multiplier 8, SAME: rows padded 4
// before and 5 after, columns 3 and 3), FULLY_CONNECTED on the flattened 25x20x8 map, SOFTMAX.
TEST(TfliteImport, MicroSpeechGivesTfliteMicrosOutputBytes) {
  const core::Result<engine::Model> imported =
      ImportModel(Load("micro_speech_quantized.tflite"), "micro_speech_quantized.tflite");
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  const core::Op& conv = imported.value().graph.op(0);
  EXPECT_EQ(conv.kind, core::OpKind::kConv2d);
  EXPECT_EQ(std::vector<int>({conv.kernel, conv.KernelW(), conv.stride, conv.padding, conv.PaddingEnd(),
                              conv.PaddingW(), conv.PaddingWEnd()}),
            std::vector<int>({10, 8, 2, 4, 5, 3, 3}));
  EXPECT_EQ(imported.value().graph.op(1).kind, core::OpKind::kFullyConnected);
  ExpectTfliteMicrosBytes("micro_speech_quantized.tflite",
                          {{-128, -121, -120, 113},
                           {-128, -121, -121, 114},
                           {-128, -91, 50, -87}});  // 80 87 88 71, 80 87 87 72, 80 a5 32 a9
}

}  // namespace
}  // namespace kilonas::tflite
