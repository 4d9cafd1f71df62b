// The host interpreter on random quantized networks: every plan mode and kernel set gives the
// same bits, patch-based execution included, with an arena of exactly the planned size.
#include "engine/interpreter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/quantizer.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/random_graphs.h"

namespace kilonas::engine {
namespace {

std::vector<float> RandomImage(const core::Graph& g, std::mt19937& rng) {
  std::vector<float> image(g.tensor(g.input()).shape.Elements());
  std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
  for (float& v : image) v = pixel(rng);
  return image;
}

Model QuantizedRandomModel(const core::Graph& g, std::mt19937& rng) {
  const core::FloatModel float_model = core::RandomFloatModel(g, rng);
  std::vector<std::vector<float>> calibration;
  for (int i = 0; i < 4; ++i) calibration.push_back(RandomImage(g, rng));
  core::Result<Model> model = Quantize(float_model, calibration, {});
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  return std::move(model).value();
}

std::vector<int8_t> RunModel(const Model& model, const std::vector<int8_t>& input,
                             KernelSet set = KernelSet::kOptimized) {
  core::Result<Interpreter> interpreter = Interpreter::Create(model, set);
  EXPECT_TRUE(interpreter.ok()) << (interpreter.ok() ? "" : interpreter.error().message);
  core::Result<std::vector<int8_t>> output = interpreter.value().Invoke(input);
  EXPECT_TRUE(output.ok()) << (output.ok() ? "" : output.error().message);
  return output.ok() ? output.value() : std::vector<int8_t>();
}

TEST(Interpreter, AllPlanModesAndKernelSetsGiveIdenticalOutputs) {
  std::mt19937 rng(8);
  for (int trial = 0; trial < 25; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    Model model = QuantizedRandomModel(g, rng);
    const std::vector<int8_t> input = QuantizeInput(model, RandomImage(g, rng));
    model.execution.mode = memory_planner::PlanMode::kPerLayer;
    const std::vector<int8_t> expected = RunModel(model, input);
    for (bool input_in_arena : {true, false}) {
      model.execution = {memory_planner::PlanMode::kInPlace, input_in_arena, 0, 0};
      ASSERT_EQ(RunModel(model, input), expected) << "inplace, trial " << trial;
      ASSERT_EQ(RunModel(model, input, KernelSet::kReference), expected) << "inplace reference, trial " << trial;
      std::vector<int> splits = memory_planner::PatchSplitCandidates(g);
      std::shuffle(splits.begin(), splits.end(), rng);
      splits.resize(std::min<size_t>(splits.size(), 3));  // a sample keeps the test fast
      for (int split : splits) {
        const int p = std::uniform_int_distribution<int>(1, 3)(rng);
        model.execution = {memory_planner::PlanMode::kPatch, input_in_arena, p, split};
        if (!PlanModel(model).ok()) continue;
        ASSERT_EQ(RunModel(model, input), expected) << "patch p=" << p << " n=" << split << " trial " << trial;
      }
    }
  }
}

TEST(Interpreter, KernelsStayInsideExactlyThePlannedArenaInEveryMode) {
  std::mt19937 rng(9);
  for (int trial = 0; trial < 12; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    Model model = QuantizedRandomModel(g, rng);
    for (auto mode :
         {memory_planner::PlanMode::kPerLayer, memory_planner::PlanMode::kInPlace, memory_planner::PlanMode::kPatch}) {
      model.execution = ExecutionFor(memory_planner::PlanDeployed(g, mode));
      model.execution.input_in_arena = trial % 2 == 0;
      if (mode == memory_planner::PlanMode::kPatch && model.execution.mode != mode) {
        const std::vector<int> splits = memory_planner::PatchSplitCandidates(g);  // patch even if it does not pay
        model.execution = {mode, trial % 2 == 0, 2, splits.front()};
      }
      core::Result<Interpreter> interpreter = Interpreter::Create(model);
      if (!interpreter.ok()) continue;  // a 2x2 grid larger than a 1x1 stage output
      EXPECT_EQ(interpreter.value().arena_bytes(), PlanModel(model).value().arena_bytes);
      // Canary bytes start right after the planned peak: one byte written past it fails here.
      const auto output = interpreter.value().Invoke(std::vector<int8_t>(g.tensor(g.input()).Bytes(), 3));
      EXPECT_TRUE(output.ok()) << output.error().message;
      EXPECT_TRUE(interpreter.value().ArenaIntact());
    }
  }
}

TEST(Interpreter, RunsInTheCallersArenaAndReportsWhatGoesWrongAsStatus) {
  std::mt19937 rng(12);
  for (int trial = 0; trial < 10; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    const Model model = QuantizedRandomModel(g, rng);
    const std::vector<int8_t> input = QuantizeInput(model, RandomImage(g, rng));
    const std::vector<int8_t> expected = RunModel(model, input);
    const int64_t needed = Interpreter::ArenaBytesNeeded(model).value();
    std::vector<int32_t> words(static_cast<size_t>(needed / 4 + 1), 0);
    int8_t* arena = reinterpret_cast<int8_t*>(words.data());

    const auto small = Interpreter::CreateInArena(model, arena, needed - 1);
    ASSERT_FALSE(small.ok());
    EXPECT_NE(small.error().message.find(std::to_string(needed)), std::string::npos) << small.error().message;
    EXPECT_FALSE(Interpreter::CreateInArena(model, arena + 1, needed).ok());  // not 4-byte aligned

    core::Result<Interpreter> interpreter = Interpreter::CreateInArena(model, arena, needed);
    ASSERT_TRUE(interpreter.ok()) << interpreter.error().message;
    const core::Result<std::vector<int8_t>> output = interpreter.value().Invoke(input);
    ASSERT_TRUE(output.ok()) << output.error().message;
    EXPECT_EQ(output.value(), expected);
    const int64_t out = interpreter.value().schedule().output_offset;  // the output lies in the caller's bytes
    EXPECT_TRUE(std::equal(expected.begin(), expected.end(), arena + out));

    EXPECT_FALSE(interpreter.value().Invoke(std::vector<int8_t>(input.size() + 1)).ok());
    arena[interpreter.value().arena_bytes()] ^= 1;  // as a kernel writing one byte too many would
    const core::Result<std::vector<int8_t>> overrun = interpreter.value().Invoke(input);
    ASSERT_FALSE(overrun.ok());
    EXPECT_NE(overrun.error().message.find("past the planned arena"), std::string::npos);
  }
}

TEST(Interpreter, Int8OutputTracksTheFloatNetwork) {
  std::mt19937 rng(10);
  for (int trial = 0; trial < 10; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    const core::FloatModel float_model = core::RandomFloatModel(g, rng);
    std::vector<std::vector<float>> images;
    for (int i = 0; i < 8; ++i) images.push_back(RandomImage(g, rng));
    const Model model = Quantize(float_model, images, {}).value();
    core::Result<Interpreter> interpreter = Interpreter::Create(model);
    ASSERT_TRUE(interpreter.ok());
    double error = 0, range = 1e-6;
    for (const auto& image : images) {
      const std::vector<float> expected = core::RunFloat(float_model, image)[g.output()];
      const std::vector<float> got =
          DequantizeOutput(model, interpreter.value().Invoke(QuantizeInput(model, image)).value());
      for (size_t i = 0; i < got.size(); ++i) {
        error = std::max(error, static_cast<double>(std::abs(got[i] - expected[i])));
        range = std::max(range, static_cast<double>(std::abs(expected[i])));
      }
    }
    EXPECT_LT(error / range, 0.15) << "trial " << trial;
  }
}

}  // namespace
}  // namespace kilonas::engine

namespace kilonas::engine {
namespace {

// A channel whose bias dwarfs its weights (a nearly dead filter) would need a bias beyond the
// accumulator bound at the weights' natural scale: the quantizer coarsens that channel's weight
// step instead, so the model stays valid and the output still tracks the float network.
TEST(Quantizer, ABiasThatDwarfsItsWeightsStaysWithinTheAccumulatorBound) {
  core::Graph g;
  const int x = g.AddTensor({"input", {6, 6, 4}});
  const int y = g.AddTensor({"y", {6, 6, 3}});
  g.SetInput(x);
  g.AddOp({core::OpKind::kPointwiseConv2d, "pw", {x}, y});
  g.SetOutput(y);
  std::mt19937 rng(21);
  core::FloatModel float_model = core::RandomFloatModel(g, rng);
  core::FloatOpWeights& pw = float_model.ops[0];
  pw.bn_gamma.clear();  // the weights below are the folded ones
  pw.bn_beta.clear();
  pw.bn_mean.clear();
  pw.bn_var.clear();
  pw.bias.assign(3, 0.1f);
  for (int i = 0; i < 4; ++i) pw.weights[4 + i] = 1e-9f;  // channel 1
  pw.bias[1] = 0.5f;
  const std::vector<std::vector<float>> images = {RandomImage(g, rng), RandomImage(g, rng)};
  core::Result<Model> model = Quantize(float_model, images, {});
  ASSERT_TRUE(model.ok()) << model.error().message;
  const OpConstants& c = model.value().constants[0];
  EXPECT_LE(std::abs(static_cast<int64_t>(c.bias[1])), kMaxAccumulatorBound);
  const std::vector<float> expected = core::RunFloat(float_model, images[0])[g.output()];
  const std::vector<float> got =
      DequantizeOutput(model.value(), RunModel(model.value(), QuantizeInput(model.value(), images[0])));
  for (size_t i = 1; i < got.size(); i += 3) EXPECT_NEAR(got[i], expected[i], 0.02) << i;
}

}  // namespace
}  // namespace kilonas::engine
