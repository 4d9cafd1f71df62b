// The int8 softmax (softmax: TFLite's fixed-point algorithm, kernels_softmax.c): the kernel lies
// within one output step of the real softmax on random rows, wide rows included (bit-exactness
// with TFLite Micro itself is tests/tflite/import_test.cc's, on person detection); the model
// checks refuse what the kernel cannot compute; a network ending in a softmax runs identically in
// every plan mode (firmware == host: firmware_test.cc).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "engine/model.h"
#include "engine/quant_math.h"
#include "kilonas_runtime.h"
#include "tests/engine/every_mode.h"
#include "tests/support/random_graphs.h"

namespace kilonas::engine {
namespace {

int Pick(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// TFLite's int8 softmax output of the real softmax of (x - zero point) x scale: p x 256 - 128.
std::vector<double> RealOutputs(const std::vector<int8_t>& row, double scale) {
  const int max = *std::max_element(row.begin(), row.end());
  double sum = 0;
  for (int8_t v : row) sum += std::exp((v - max) * scale);
  std::vector<double> out;
  for (int8_t v : row) out.push_back(std::exp((v - max) * scale) / sum * 256.0 - 128.0);
  return out;
}

TEST(Softmax, KernelIsWithinOneStepOfTheRealSoftmaxOnRandomRows) {
  std::mt19937 rng(51);
  for (int trial = 0; trial < 600; ++trial) {
    const int depth = trial % 10 == 0 ? Pick(rng, 256, 4095) : Pick(rng, 1, 40);
    const int rows = Pick(rng, 1, 3);
    const double scale = std::exp(std::uniform_real_distribution<double>(std::log(0.002), std::log(0.5))(rng));
    // Rows of a few distinct values too, so that many inputs tie with the maximum.
    const int spread = trial % 3 == 0 ? Pick(rng, 0, 3) : 255;
    std::vector<int8_t> in(static_cast<size_t>(rows) * depth), out(in.size());
    for (int8_t& v : in) v = static_cast<int8_t>(127 - Pick(rng, 0, spread));
    const FixedPointMultiplier m = SoftmaxInputScaling(1.0, scale);
    const kilonas_pool_params p{0, -128, m.multiplier, m.shift};
    kilonas_softmax(&p, in.data(), rows, depth, out.data());
    for (int r = 0; r < rows; ++r) {
      const std::vector<int8_t> row(in.begin() + r * depth, in.begin() + (r + 1) * depth);
      const std::vector<double> real = RealOutputs(row, scale);
      for (int c = 0; c < depth; ++c) {
        ASSERT_NEAR(out[static_cast<size_t>(r * depth + c)], std::clamp(real[c], -128.0, 127.0), 1.0)
            << "trial " << trial << " depth " << depth << " scale " << scale << " at " << r << "," << c;
      }
    }
  }
}

TEST(Softmax, ModelChecksRefuseWhatTheKernelCannotCompute) {
  std::mt19937 rng(52);
  const core::Graph g = kilonas::testing::PoolNetwork(/*softmax=*/true);
  const core::FloatModel fm = core::RandomFloatModel(g, rng);
  const Model good = Quantize(fm, {kilonas::testing::RandomPoolImage(rng)}, {}).value();
  const int last = static_cast<int>(g.ops().size()) - 1;
  ASSERT_TRUE(ValidateModel(good).ok());
  Model m = good;
  m.graph.mutable_tensor(g.output()).quant.zero_points = {0};
  EXPECT_NE(ValidateModel(m).message().find("scale 1/256 and zero point -128"), std::string::npos);
  m = good;
  m.constants[static_cast<size_t>(last)].output_shift = -1;
  EXPECT_NE(ValidateModel(m).message().find("left shift"), std::string::npos);
}

TEST(Softmax, EveryPlanModeAndKernelSetGivesTheSameBitsAndFollowsTheFloatNetwork) {
  std::mt19937 rng(53);
  const core::Graph g = kilonas::testing::PoolNetwork(/*softmax=*/true);
  ASSERT_TRUE(g.Validate().ok());
  const Model model = testing::ExpectSameBitsInEveryMode(g, rng);
  EXPECT_EQ(TensorZeroPoint(model.graph.tensor(g.output())), -128);
}

}  // namespace
}  // namespace kilonas::engine
