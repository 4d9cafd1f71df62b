// The pooling ops (avg_pool2d, max_pool2d: kernel, stride, padding): their reference kernels are
// TFLite's rounded mean and largest value over the window's pixels inside the input, and the host
// runs a network with both identically in every plan mode, patches included (firmware == host:
// firmware_test.cc).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "kilonas_runtime.h"
#include "memory_planner/patch_plan.h"
#include "tests/engine/every_mode.h"
#include "tests/support/random_graphs.h"

namespace kilonas::engine {
namespace {

int Pick(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// The mean of the window's pixels inside the input, rounded half away from zero, as a real
// number: the definition the integer kernel implements.
int ExpectedMean(const std::vector<int8_t>& in, int h, int w, int c, int k, int stride, int pad, int y, int x, int ch) {
  double sum = 0;
  int count = 0;
  for (int iy = y * stride - pad; iy < y * stride - pad + k; ++iy) {
    for (int ix = x * stride - pad; ix < x * stride - pad + k; ++ix) {
      if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
      sum += in[(static_cast<size_t>(iy) * w + ix) * c + ch];
      ++count;
    }
  }
  const double mean = sum / count;
  return static_cast<int>(mean >= 0 ? std::floor(mean + 0.5) : -std::floor(-mean + 0.5));
}

// A random pool window (k 1..7, stride 1..3, padding up to k / 2) over an h x w x c input of
// values up to `input_max`, every third trial with a narrowed clamp.
struct PoolCase {
  kilonas_conv_params p{};
  int h = 0, w = 0, c = 0, oh = 0, ow = 0;
  std::vector<int8_t> in;
};

PoolCase RandomPoolCase(std::mt19937& rng, int trial, int input_max) {
  PoolCase pc;
  const int k = Pick(rng, 1, 7), stride = Pick(rng, 1, 3), pad = Pick(rng, 0, k / 2);
  pc.h = Pick(rng, k, 12);
  pc.w = Pick(rng, k, 12);
  pc.c = Pick(rng, 1, 9);
  pc.oh = (pc.h + 2 * pad - k) / stride + 1;
  pc.ow = (pc.w + 2 * pad - k) / stride + 1;
  pc.in.resize(static_cast<size_t>(pc.h) * pc.w * pc.c);
  for (int8_t& v : pc.in) v = static_cast<int8_t>(Pick(rng, -128, input_max));
  pc.p.kernel = k;
  pc.p.stride = stride;
  pc.p.pad = pad;
  pc.p.in_h = pc.h;
  pc.p.in_w = pc.w;
  pc.p.act_min = trial % 3 == 0 ? Pick(rng, -128, 0) : -128;
  pc.p.act_max = trial % 3 == 0 ? Pick(rng, 1, 127) : 127;
  return pc;
}

TEST(AvgPool, ReferenceKernelIsTheRoundedMeanOfTheWindowInsideTheInput) {
  std::mt19937 rng(41);
  for (int trial = 0; trial < 400; ++trial) {
    PoolCase pc = RandomPoolCase(rng, trial, 127);
    const int k = pc.p.kernel, stride = pc.p.stride, pad = pc.p.pad, h = pc.h, w = pc.w, c = pc.c, oh = pc.oh,
              ow = pc.ow;
    const kilonas_conv_params& p = pc.p;
    const std::vector<int8_t>& in = pc.in;
    const kilonas_view iv{h, w, c, 0, 0}, ov{oh, ow, c, 0, 0};
    const kilonas_rect r{0, 0, oh, ow};
    std::vector<int8_t> out(static_cast<size_t>(oh) * ow * c);
    kilonas_avg_pool_ref(&p, in.data(), &iv, out.data(), &ov, &r);
    for (int y = 0; y < oh; ++y) {
      for (int x = 0; x < ow; ++x) {
        for (int ch = 0; ch < c; ++ch) {
          const int expected = std::clamp(ExpectedMean(in, h, w, c, k, stride, pad, y, x, ch), p.act_min, p.act_max);
          ASSERT_EQ(out[(static_cast<size_t>(y) * ow + x) * c + ch], expected)
              << "trial " << trial << " k" << k << " s" << stride << " pad " << pad << " at " << y << "," << x;
        }
      }
    }
  }
}

// The largest raw value of the window's pixels inside the input, clamped (TFLite's int8 max pool).
TEST(MaxPool, ReferenceKernelIsTheLargestValueOfTheWindowInsideTheInput) {
  std::mt19937 rng(45);
  for (int trial = 0; trial < 400; ++trial) {
    PoolCase pc = RandomPoolCase(rng, trial, trial % 4 == 0 ? -100 : 127 /* some all negative */);
    const int k = pc.p.kernel, stride = pc.p.stride, pad = pc.p.pad, h = pc.h, w = pc.w, c = pc.c, oh = pc.oh,
              ow = pc.ow;
    const kilonas_conv_params& p = pc.p;
    const std::vector<int8_t>& in = pc.in;
    const kilonas_view iv{h, w, c, 0, 0}, ov{oh, ow, c, 0, 0};
    const kilonas_rect r{0, 0, oh, ow};
    std::vector<int8_t> out(static_cast<size_t>(oh) * ow * c);
    kilonas_max_pool_ref(&p, in.data(), &iv, out.data(), &ov, &r);
    for (int y = 0; y < oh; ++y) {
      for (int x = 0; x < ow; ++x) {
        for (int ch = 0; ch < c; ++ch) {
          int largest = -1000;
          for (int iy = std::max(y * stride - pad, 0); iy < std::min(y * stride - pad + k, h); ++iy) {
            for (int ix = std::max(x * stride - pad, 0); ix < std::min(x * stride - pad + k, w); ++ix) {
              largest = std::max<int>(largest, in[(static_cast<size_t>(iy) * w + ix) * c + ch]);
            }
          }
          ASSERT_EQ(out[(static_cast<size_t>(y) * ow + x) * c + ch], std::clamp(largest, p.act_min, p.act_max))
              << "trial " << trial << " k" << k << " s" << stride << " pad " << pad << " at " << y << "," << x;
        }
      }
    }
  }
}

// PoolNetwork has both pools: an average pool at stride 2 and a padded max pool at stride 1.
TEST(AvgPool, EveryPlanModeAndKernelSetGivesTheSameBitsAndFollowsTheFloatNetwork) {
  std::mt19937 rng(42);
  const core::Graph g = kilonas::testing::PoolNetwork();
  ASSERT_TRUE(g.Validate().ok());
  testing::ExpectSameBitsInEveryMode(g, rng);
}

}  // namespace
}  // namespace kilonas::engine
