// The check the op tests share: a network of 20x20x3 input (tests/support/random_graphs.h) with
// random weights, quantized on random images, gives the same bits in place (both kernel sets)
// and in every patch plan as in per_layer mode, and follows the float network.
#pragma once

#include <gtest/gtest.h>

#include <random>

#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/random_graphs.h"

namespace kilonas::engine::testing {

// The quantized model (per_layer) for further checks; fails the test where a mode differs.
inline Model ExpectSameBitsInEveryMode(const core::Graph& g, std::mt19937& rng) {
  const core::FloatModel fm = core::RandomFloatModel(g, rng);
  std::vector<std::vector<float>> calibration;
  for (int i = 0; i < 8; ++i) calibration.push_back(kilonas::testing::RandomPoolImage(rng));
  core::Result<Model> model = Quantize(fm, calibration, {memory_planner::PlanMode::kPerLayer});
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  if (!model.ok()) return Model{};
  const std::vector<float> image = kilonas::testing::RandomPoolImage(rng);
  const std::vector<int8_t> input = QuantizeInput(model.value(), image);
  const std::vector<int8_t> expected = Interpreter::Create(model.value()).value().Invoke(input).value();
  const std::vector<float> real = core::RunFloat(fm, image)[g.output()];
  const std::vector<float> dequantized = DequantizeOutput(model.value(), expected);
  const float scale = TensorScale(model.value().graph.tensor(g.output()));
  for (size_t i = 0; i < real.size(); ++i) EXPECT_NEAR(dequantized[i], real[i], 0.1 + 4 * scale) << i;
  Model m = model.value();
  m.execution = {memory_planner::PlanMode::kInPlace, true, 0, 0};
  EXPECT_EQ(Interpreter::Create(m).value().Invoke(input).value(), expected);
  EXPECT_EQ(Interpreter::Create(m, KernelSet::kReference).value().Invoke(input).value(), expected);
  int patch_plans = 0;
  for (int split : memory_planner::PatchSplitCandidates(g)) {
    for (int patches : {2, 3}) {
      m.execution = {memory_planner::PlanMode::kPatch, true, patches, split};
      if (!PlanModel(m).ok()) continue;
      ++patch_plans;
      EXPECT_EQ(Interpreter::Create(m).value().Invoke(input).value(), expected)
          << "patch " << patches << " split " << split;
    }
  }
  EXPECT_GT(patch_plans, 0);
  return model.value();
}

}  // namespace kilonas::engine::testing
