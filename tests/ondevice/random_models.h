// Random int8 models and inputs for the training tests: He-initialised float weights quantized
// with eight random calibration images in [-1, 1), and int8 inputs uniform over the whole range.
#pragma once

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/float_model.h"
#include "engine/quantizer.h"

namespace kilonas::ondevice::testing {

inline engine::Model QuantizedRandomModel(const core::Graph& graph, std::mt19937& rng) {
  const core::FloatModel f = core::RandomFloatModel(graph, rng);
  std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
  std::vector<std::vector<float>> calibration(8);
  for (auto& image : calibration) {
    for (int64_t i = 0; i < graph.tensor(graph.input()).shape.Elements(); ++i) image.push_back(pixel(rng));
  }
  core::Result<engine::Model> m = engine::Quantize(f, calibration, {});
  EXPECT_TRUE(m.ok()) << m.error().message;
  return m.value();
}

inline std::vector<int8_t> RandomInput(const engine::Model& m, std::mt19937& rng) {
  std::uniform_int_distribution<int> q(-128, 127);
  std::vector<int8_t> x;
  for (int64_t i = 0; i < m.graph.tensor(m.graph.input()).shape.Elements(); ++i) {
    x.push_back(static_cast<int8_t>(q(rng)));
  }
  return x;
}

}  // namespace kilonas::ondevice::testing
