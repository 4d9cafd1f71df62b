// The training kernels (runtime/kernels_train.c) against the float forward pass they are the
// derivative of (core::RunFloat), on random shapes, windows, strides and paddings: a linear op's
// input gradient is its adjoint (<L x, dy> = <x, L^T dy>), and since its output is linear in the
// weights too, <y, dy> = <W, dW>. The exp and log the loss uses, against libm.
#include "ondevice/backward_kernels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/float_model.h"
#include "core/receptive_field.h"

namespace kilonas::ondevice {
namespace {

// One op of `kind` on a random input, with int8 weights and per-channel scales; its float model
// has the real weights (int8 x scale) and no bias.
struct OpCase {
  core::FloatModel model;
  std::vector<int8_t> weights;
  std::vector<float> weight_scale;
  kilonas_grad_params p{};
};

core::Graph OneOpGraph(core::OpKind kind, std::mt19937& rng) {
  std::uniform_int_distribution<int> side(1, 8), chans(1, 6), kernel(1, 4), stride(1, 2);
  for (;;) {
    core::Op op;
    op.kind = kind;
    op.name = "op";
    const bool window = core::Traits(kind).window && kind != core::OpKind::kPointwiseConv2d;
    op.kernel = window ? kernel(rng) : 1;
    op.stride = window ? stride(rng) : 1;
    op.padding = window ? std::uniform_int_distribution<int>(0, op.kernel - 1)(rng) : 0;
    op.padding_end = window ? std::uniform_int_distribution<int>(0, op.kernel - 1)(rng) : 0;
    if (kind == core::OpKind::kConv2d) {
      op.kernel_w = kernel(rng);
      op.padding_w = std::uniform_int_distribution<int>(0, op.kernel_w - 1)(rng);
      op.padding_w_end = op.padding_w;
    }
    const core::Shape in{side(rng), side(rng), chans(rng)};
    const bool keeps_channels = kind == core::OpKind::kDepthwiseConv2d || !core::Traits(kind).has_weights;
    const int out_c = keeps_channels ? in.c : chans(rng);
    core::Shape out{1, 1, out_c};
    if (core::Traits(kind).window) {
      out.h = core::WindowOutputSize(in.h, op.kernel, op.stride, op.padding, op.PaddingEnd());
      out.w = core::WindowOutputSize(in.w, op.KernelW(), op.stride, op.PaddingW(), op.PaddingWEnd());
    }
    if (out.h < 1 || out.w < 1) continue;
    core::Graph g;
    op.inputs = {g.AddTensor({"x", in})};
    op.output = g.AddTensor({"y", out});
    g.AddOp(op);
    g.SetInput(op.inputs[0]);
    g.SetOutput(op.output);
    if (g.Validate().ok()) return g;
  }
}

OpCase RandomOpCase(core::OpKind kind, std::mt19937& rng) {
  OpCase c;
  c.model.graph = OneOpGraph(kind, rng);
  const core::Graph& g = c.model.graph;
  const core::Op& op = g.op(0);
  const core::Shape in = g.InputOf(op).shape, out = g.OutputOf(op).shape;
  c.model.ops.resize(1);
  std::uniform_int_distribution<int> q(-127, 127);
  std::uniform_real_distribution<float> scale(0.001f, 0.1f);
  for (int64_t i = 0; i < g.WeightCount(op); ++i) c.weights.push_back(static_cast<int8_t>(q(rng)));
  for (int ch = 0; ch < out.c && core::Traits(kind).has_weights; ++ch) c.weight_scale.push_back(scale(rng));
  const bool depthwise = kind == core::OpKind::kDepthwiseConv2d;
  for (size_t i = 0; i < c.weights.size(); ++i) {
    const size_t channel = depthwise ? i % out.c : i / (c.weights.size() / out.c);
    c.model.ops[0].weights.push_back(c.weights[i] * c.weight_scale[channel]);
  }
  const bool dense = kind == core::OpKind::kFullyConnected;
  c.p.weights = c.weights.data();
  c.p.weight_scale = c.weight_scale.data();
  c.p.input_scale = scale(rng);
  c.p.input_zero = q(rng);
  c.p.kernel = op.kernel;
  c.p.kernel_w = op.KernelW();
  c.p.stride = op.stride;
  c.p.pad = op.padding;
  c.p.pad_w = op.PaddingW();
  c.p.in_h = dense ? 1 : in.h;
  c.p.in_w = dense ? 1 : in.w;
  c.p.in_c = dense ? static_cast<int32_t>(in.Elements()) : in.c;
  c.p.out_h = out.h;
  c.p.out_w = out.w;
  c.p.out_c = out.c;
  c.p.channels = out.c;
  return c;
}

double Dot(const std::vector<float>& a, const std::vector<float>& b) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += static_cast<double>(a[i]) * b[i];
  return sum;
}
double Norm(const std::vector<float>& a) { return std::sqrt(Dot(a, a)); }

// A random int8 input of the case, and its real values.
struct Input {
  std::vector<int8_t> q;
  std::vector<float> real;
};
Input RandomInput(const OpCase& c, std::mt19937& rng) {
  Input x;
  std::uniform_int_distribution<int> q(-128, 127);
  const core::Graph& g = c.model.graph;
  for (int64_t i = 0; i < g.tensor(g.input()).shape.Elements(); ++i) {
    x.q.push_back(static_cast<int8_t>(q(rng)));
    x.real.push_back(c.p.input_scale * static_cast<float>(x.q.back() - c.p.input_zero));
  }
  return x;
}

std::vector<float> RandomGradient(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> g;
  for (int64_t i = 0; i < n; ++i) g.push_back(normal(rng));
  return g;
}

TEST(BackwardKernels, InputGradientsAreTheAdjointOfTheForwardPass) {
  std::mt19937 rng(31);
  for (core::OpKind kind : {core::OpKind::kConv2d, core::OpKind::kPointwiseConv2d, core::OpKind::kDepthwiseConv2d,
                            core::OpKind::kFullyConnected, core::OpKind::kAvgPool2d, core::OpKind::kGlobalAvgPool}) {
    for (int trial = 0; trial < 60; ++trial) {
      const OpCase c = RandomOpCase(kind, rng);
      const Input x = RandomInput(c, rng);
      const std::vector<float> y = core::RunFloat(c.model, x.real)[c.model.graph.output()];
      const std::vector<float> dy = RandomGradient(static_cast<int64_t>(y.size()), rng);
      std::vector<float> dx(x.real.size(), 0.0f);
      CallBackward(core::FindTrainKernel(kind, core::GradPart::kInput), c.p, x.q.data(), dy.data(), dx.data());
      const double tolerance = 1e-5 * (Norm(y) * Norm(dy) + Norm(x.real) * Norm(dx)) + 1e-9;
      ASSERT_NEAR(Dot(y, dy), Dot(x.real, dx), tolerance) << core::Traits(kind).name << " trial " << trial;
    }
  }
}

TEST(BackwardKernels, WeightGradientsSatisfyTheLinearityIdentityAndStopAtTheirChannels) {
  std::mt19937 rng(32);
  for (core::OpKind kind : {core::OpKind::kConv2d, core::OpKind::kPointwiseConv2d, core::OpKind::kDepthwiseConv2d,
                            core::OpKind::kFullyConnected}) {
    for (int trial = 0; trial < 60; ++trial) {
      OpCase c = RandomOpCase(kind, rng);
      const Input x = RandomInput(c, rng);
      const std::vector<float> y = core::RunFloat(c.model, x.real)[c.model.graph.output()];
      const std::vector<float> dy = RandomGradient(static_cast<int64_t>(y.size()), rng);
      const core::TrainKernelId kernel = core::FindTrainKernel(kind, core::GradPart::kWeight);
      std::vector<float> dw(c.weights.size(), 0.0f);
      CallBackward(kernel, c.p, x.q.data(), dy.data(), dw.data());
      const std::vector<float>& w = c.model.ops[0].weights;
      const double tolerance = 1e-5 * (Norm(y) * Norm(dy) + Norm(w) * Norm(dw)) + 1e-9;
      ASSERT_NEAR(Dot(y, dy), Dot(w, dw), tolerance) << core::Traits(kind).name << " trial " << trial;
      // The first `channels` output channels only, each as in the whole layer's gradient.
      c.p.channels = std::uniform_int_distribution<int>(1, c.p.out_c)(rng);
      std::vector<float> part(c.weights.size(), 0.0f);
      CallBackward(kernel, c.p, x.q.data(), dy.data(), part.data());
      const bool depthwise = kind == core::OpKind::kDepthwiseConv2d;
      for (size_t i = 0; i < dw.size(); ++i) {
        const int channel = static_cast<int>(depthwise ? i % c.p.out_c : i / (dw.size() / c.p.out_c));
        ASSERT_EQ(part[i], channel < c.p.channels ? dw[i] : 0.0f) << core::Traits(kind).name << " weight " << i;
      }
    }
  }
}

TEST(BackwardKernels, AMaxPoolPassesEachGradientToItsWindowsLargestInput) {
  std::mt19937 rng(33);
  for (int trial = 0; trial < 60; ++trial) {
    const OpCase c = RandomOpCase(core::OpKind::kMaxPool2d, rng);
    const Input x = RandomInput(c, rng);
    const std::vector<float> y = core::RunFloat(c.model, x.real)[c.model.graph.output()];
    // One output's gradient at a time lands on one input holding that output's value.
    for (size_t o = 0; o < y.size(); ++o) {
      std::vector<float> dy(y.size(), 0.0f), dx(x.real.size(), 0.0f);
      dy[o] = 1.0f;
      CallBackward(core::FindTrainKernel(core::OpKind::kMaxPool2d, core::GradPart::kInput), c.p, x.q.data(), dy.data(),
                   dx.data());
      int hits = 0;
      for (size_t i = 0; i < dx.size(); ++i) {
        if (dx[i] == 0.0f) continue;
        ++hits;
        EXPECT_EQ(dx[i], 1.0f);
        EXPECT_EQ(x.real[i], y[o]) << "trial " << trial;
        EXPECT_EQ(static_cast<int>(i) % c.p.in_c, static_cast<int>(o) % c.p.out_c);
      }
      ASSERT_EQ(hits, 1) << "trial " << trial;
    }
  }
}

TEST(BackwardKernels, BiasGradientsSumTheirChannelsOverThePixels) {
  const std::vector<float> dy = {1, 2, 3, 4, 5, 6};  // 2 pixels x 3 channels
  std::vector<float> db = {10, 10, 10};
  kilonas_bias_grad(dy.data(), 2, 3, 2, db.data());
  EXPECT_EQ(db, (std::vector<float>{15, 17, 10}));
}

TEST(BackwardKernels, GatesPassWhereTheOutputIsStrictlyInsideTheClamp) {
  const std::vector<int8_t> y = {-128, -127, 0, 5, 6, 7, -128, 127, 1};
  std::vector<uint8_t> bits(2, 0xFF);
  kilonas_gate_make(y.data(), 9, -128, 6, bits.data());
  std::vector<float> dy(9, 1.0f);
  kilonas_gate_apply(bits.data(), 9, dy.data());
  EXPECT_EQ(dy, (std::vector<float>{0, 1, 1, 1, 0, 0, 0, 0, 1}));
  EXPECT_EQ(bits[1] & 0xFE, 0);  // bits past the end are clear
}

TEST(BackwardKernels, SoftmaxCrossEntropyIsThatOfTheRealLogits) {
  const std::vector<int8_t> logits = {-20, 35, 3, -128, 127};
  const float scale = 0.05f;
  std::vector<float> grad(logits.size(), 0.0f);
  const float loss = kilonas_softmax_xent_grad(logits.data(), 5, scale, 2, grad.data());
  double sum = 0;
  for (int8_t l : logits) sum += std::exp(scale * l);
  EXPECT_NEAR(loss, -std::log(std::exp(scale * logits[2]) / sum), 1e-5);
  for (size_t i = 0; i < logits.size(); ++i) {
    EXPECT_NEAR(grad[i], std::exp(scale * logits[i]) / sum - (i == 2 ? 1 : 0), 1e-6) << i;
  }
}

TEST(BackwardKernels, ExpAndLogAreWithinTwoTenthsOfAMillionthOfLibm) {
  for (float x = -87.0f; x <= 0.0f; x += 0.01f) {
    ASSERT_NEAR(kilonas_expf(x) / std::exp(static_cast<double>(x)), 1.0, 2e-7) << x;
  }
  for (float x = 1.0f; x < 1e6f; x *= 1.01f) {
    ASSERT_NEAR(kilonas_logf(x), std::log(static_cast<double>(x)),
                2e-7 * std::max(1.0, std::log(static_cast<double>(x))))
        << x;
  }
}

TEST(BackwardKernels, SgdRoundsEachStepAndKeepsWeightsSymmetricInt8) {
  // Two channels of two weights, [Cout][per]; only channel 0 is updated.
  std::vector<int8_t> w = {10, -127, 5, 5};
  const std::vector<float> dw = {0.26f, 1.0f, 9.0f, 9.0f}, step = {10.0f, 10.0f};
  kilonas_sgd_weights(w.data(), dw.data(), step.data(), 1, 2, 2, 1, nullptr);
  EXPECT_EQ(w, (std::vector<int8_t>{7, -127, 5, 5}));  // 10 - round(2.6); -127 - 10 clamps
  // Depthwise [k][k][C]: channel c's weights C apart.
  std::vector<int8_t> d = {0, 0, 0, 0};
  kilonas_sgd_weights(d.data(), std::vector<float>{-1, -1, -1, -1}.data(), step.data(), 1, 2, 1, 2, nullptr);
  EXPECT_EQ(d, (std::vector<int8_t>{10, 0, 10, 0}));
  std::vector<int32_t> b = {100, 1000};
  kilonas_sgd_bias(b.data(), std::vector<float>{-0.5f, 1e9f}.data(), step.data(), 2, 1000000);
  EXPECT_EQ(b, (std::vector<int32_t>{105, -1000000}));
  // A gradient that is not a number moves nothing (no undefined float-to-int conversion).
  std::vector<int8_t> n = {7};
  kilonas_sgd_weights(n.data(), std::vector<float>{std::nanf("")}.data(), step.data(), 1, 1, 1, 1, nullptr);
  EXPECT_EQ(n[0], 7);
  EXPECT_EQ(kilonas_expf(std::nanf("")), 0.0f);
}

// Stochastic rounding is unbiased: a step of 0.3 units applied to many weights moves them by 0.3
// on average (nearest rounding: not at all), each by floor(0.3 + u), 0 or 1; the same seed draws
// the same stream; clamps and not-a-number steps as before.
TEST(BackwardKernels, StochasticRoundingOfWeightStepsIsUnbiased) {
  const int n = 20000;
  std::vector<int8_t> w(n, 0);
  const std::vector<float> dw(n, -0.3f), step = {1.0f};
  uint32_t state = KILONAS_SGD_ROUNDING_SEED;
  kilonas_sgd_weights(w.data(), dw.data(), step.data(), 1, n, n, 1, &state);
  double sum = 0;
  for (int8_t v : w) {
    EXPECT_TRUE(v == 0 || v == 1);
    sum += v;
  }
  EXPECT_NEAR(sum / n, 0.3, 0.01);
  std::vector<int8_t> nearest(n, 0);
  kilonas_sgd_weights(nearest.data(), dw.data(), step.data(), 1, n, n, 1, nullptr);
  EXPECT_EQ(nearest, std::vector<int8_t>(n, 0));
  std::vector<int8_t> again(n, 0);
  uint32_t same = KILONAS_SGD_ROUNDING_SEED;
  kilonas_sgd_weights(again.data(), dw.data(), step.data(), 1, n, n, 1, &same);
  EXPECT_EQ(again, w);
  EXPECT_EQ(same, state);
  std::vector<int8_t> edge = {127, -127, 5};
  kilonas_sgd_weights(edge.data(), std::vector<float>{-1000.0f, 1000.0f, std::nanf("")}.data(), step.data(), 1, 3, 3, 1,
                      &state);
  EXPECT_EQ(edge, (std::vector<int8_t>{127, -127, 5}));
  // A step of the other sign moves the weights down by 0.3 on average.
  std::vector<int8_t> down(n, 0);
  kilonas_sgd_weights(down.data(), std::vector<float>(n, 0.3f).data(), step.data(), 1, n, n, 1, &state);
  sum = 0;
  for (int8_t v : down) sum += v;
  EXPECT_NEAR(sum / n, -0.3, 0.01);
}

}  // namespace
}  // namespace kilonas::ondevice
