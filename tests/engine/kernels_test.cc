// Runtime kernels: the SMLAD and in-place variants against the reference bit for bit, and the
// reference against float math on the dequantized operands within one quantization step.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/kernel_registry.h"
#include "kernel_common.h"
#include "kilonas_runtime.h"

namespace kilonas::engine {
namespace {

struct ConvCase {
  int h, w, cin, cout, k, stride, kw;  // kw: the window's columns (k x kw), as k but in conv2d
  int pad, pad_end;                    // a square window's, rows and columns; k x kw: kw / 2 for columns
  std::vector<int8_t> in, weights;
  std::vector<int32_t> bias, mult, shift, channels;
  kilonas_conv_params p{};
  int oh() const { return (h + pad + pad_end - k) / stride + 1; }
  int ow() const { return kw == k ? (w + pad + pad_end - kw) / stride + 1 : (w + 2 * (kw / 2) - kw) / stride + 1; }
};

// Square windows are padded by k / 2 on every side, except that a third of the depthwise cases
// pad one more after than before, as TensorFlow's SAME can: k / 2 - 1 and k / 2, or at stride 2
// also k / 2 and k / 2 + 1 (an output larger than the input cannot be written in place).
ConvCase RandomCase(std::mt19937& rng, bool depthwise, int k, int stride, int kw = 0) {
  std::uniform_int_distribution<int> size(1, 13), ch(1, 19), i8(-128, 127), w8(-127, 127);
  ConvCase c;
  c.h = size(rng);
  c.w = size(rng);
  c.pad = c.pad_end = k / 2;
  if (depthwise && std::bernoulli_distribution(1.0 / 3)(rng)) {
    if (stride == 1 || std::bernoulli_distribution(0.5)(rng)) --c.pad;
    c.pad_end = c.pad + 1;
    c.h = std::max(c.h, k);  // at least one output
    c.w = std::max(c.w, k);
  }
  c.cin = ch(rng);
  c.cout = depthwise ? c.cin : ch(rng);
  c.k = k;
  c.kw = kw > 0 ? kw : k;
  c.stride = stride;
  for (int i = 0; i < c.h * c.w * c.cin; ++i) c.in.push_back(static_cast<int8_t>(i8(rng)));
  const int weights = depthwise ? k * c.kw * c.cin : c.cout * k * c.kw * c.cin;
  for (int i = 0; i < weights; ++i) c.weights.push_back(static_cast<int8_t>(w8(rng)));
  // Padded as exported: whole words, and for the SMLAD conv the last row's word reads.
  c.weights.resize(
      static_cast<size_t>(core::StoredWeightBytes(depthwise ? core::KernelId::kNone : core::KernelId::kConv2dDsp,
                                                  weights, depthwise ? 1 : c.cout)),
      0);
  // Mostly right shifts (the optimized kernels' fast requantization); some cases have a channel
  // with a left or no shift, or a ReLU clamp, which take their general path.
  const bool some_left_shift = std::bernoulli_distribution(0.2)(rng);
  const int extreme_shift = std::discrete_distribution<int>({0.8, 0.1, 0.1})(rng);  // 0: none, 1: -22, 2: -23
  for (int o = 0; o < c.cout; ++o) {
    c.bias.push_back(std::uniform_int_distribution<int32_t>(-5000, 5000)(rng));
    c.mult.push_back(std::uniform_int_distribution<int32_t>(1 << 30, INT32_MAX)(rng));
    // Some cases give channel 0 the fast path's largest right shift, or one more (general path).
    const int32_t right = extreme_shift && o == 0 ? KILONAS_MIN_FAST_SHIFT - extreme_shift + 1
                                                  : std::uniform_int_distribution<int32_t>(-12, -6)(rng);
    c.shift.push_back(some_left_shift && o == c.cout / 2 ? std::uniform_int_distribution<int32_t>(0, 2)(rng) : right);
  }
  // Offsets of valid zero points: input_offset = -zero_point in [-127, 128].
  c.p = {c.weights.data(),
         c.bias.data(),
         c.mult.data(),
         c.shift.data(),
         nullptr,
         0,
         -i8(rng),
         i8(rng) / 2,
         -128,
         127,
         k,
         stride,
         c.pad,
         c.kw,
         c.kw == k ? c.pad : c.kw / 2,
         c.pad_end,
         c.h,
         c.w};
  if (std::bernoulli_distribution(0.3)(rng)) c.p.act_min = c.p.output_offset;  // a ReLU
  c.channels.resize(static_cast<size_t>(c.cout) * KILONAS_CHANNEL_WORDS);
  kilonas_channel_words(c.weights.data(), c.bias.data(), c.mult.data(), c.shift.data(), c.cout, weights / c.cout,
                        depthwise, c.p.input_offset, c.channels.data());
  c.p.channels = c.channels.data();
  // As the exporter decides: the in-place depthwise kernel also takes left shifts within headroom.
  const int32_t max_shift =
      depthwise ? kilonas_left_shift_headroom(c.weights.data(), c.bias.data(), c.cout, k * k, 1) : -1;
  c.p.fast_requant = kilonas_fast_requant(c.shift.data(), c.cout, c.p.act_min, c.p.act_max, max_shift);
  return c;
}

kilonas_view View(int h, int w, int c) { return {h, w, c, 0, 0}; }

// Square windows, and every third case a window of other columns than rows (1..10 x 1..10, as
// the keyword-spotting models' 10x8 and 10x4).
TEST(DspKernels, ConvMatchesReferenceBitForBit) {
  std::mt19937 rng(1);
  for (int trial = 0; trial < 300; ++trial) {
    const int k = std::uniform_int_distribution<int>(0, 2)(rng) * 2 + 3;
    std::uniform_int_distribution<int> side(1, 10);
    const bool rectangular = trial % 3 == 1;
    ConvCase c = rectangular ? RandomCase(rng, false, side(rng), 1 + trial % 2, side(rng))
                             : RandomCase(rng, false, trial % 4 == 0 ? 1 : k, 1 + trial % 2);
    if (c.oh() < 1 || c.ow() < 1) continue;
    const kilonas_view iv = View(c.h, c.w, c.cin), ov = View(c.oh(), c.ow(), c.cout);
    const kilonas_rect r{0, 0, c.oh(), c.ow()};
    std::vector<int8_t> ref(c.oh() * c.ow() * c.cout), dsp(ref.size());
    const int window = c.k * c.kw * c.cin;  // the planned scratch: two q15 columns, the int8 window
    const int padded = (window + 3) / 4 * 4;
    std::vector<int16_t> scratch(kilonas_conv2d_dsp_block_pixels(window) * padded + padded / 2);
    kilonas_conv2d_ref(&c.p, c.in.data(), &iv, ref.data(), &ov, &r);
    kilonas_conv2d_dsp(&c.p, c.in.data(), &iv, dsp.data(), &ov, &r, scratch.data());
    ASSERT_EQ(ref, dsp) << "trial " << trial;
  }
}

TEST(DspKernels, PointwiseAndFusedAddMatchReferenceBitForBit) {
  std::mt19937 rng(2);
  for (int trial = 0; trial < 300; ++trial) {
    ConvCase c = RandomCase(rng, false, 1, 1);
    const kilonas_view iv = View(c.h, c.w, c.cin), ov = View(c.h, c.w, c.cout);
    const kilonas_rect r{0, 0, c.h, c.w};
    std::vector<int8_t> ref(c.h * c.w * c.cout), dsp(ref.size());
    std::vector<int16_t> scratch(4 * c.cin);
    kilonas_pointwise_ref(&c.p, c.in.data(), &iv, ref.data(), &ov, &r);
    kilonas_pointwise_dsp(&c.p, c.in.data(), &iv, dsp.data(), &ov, &r, scratch.data());
    ASSERT_EQ(ref, dsp) << "trial " << trial;

    // Fused: residual = add(residual, pointwise(in)), against pointwise then add.
    std::vector<int8_t> residual(ref.size());
    for (int8_t& v : residual) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
    const kilonas_add_params a{5, -3, 7, 1 << 30, -1, 1 << 30, -2, 1 << 30, -19, 20, -128, 127};
    std::vector<int8_t> unfused(ref.size()), fused_ref = residual, fused_dsp = residual;
    kilonas_add(&a, residual.data(), &ov, ref.data(), &ov, unfused.data(), &ov, &r);
    kilonas_pointwise_add_ref(&c.p, &a, c.in.data(), &iv, fused_ref.data(), &ov, &r);
    kilonas_pointwise_add_dsp(&c.p, &a, c.in.data(), &iv, fused_dsp.data(), &ov, &r, scratch.data());
    ASSERT_EQ(unfused, fused_ref);
    ASSERT_EQ(unfused, fused_dsp);
  }
}

// The wide-weight kernel through its export-side layout (kilonas_pointwise_wide_constants) and
// the planned scratch, on rects inside larger views (odd pixel counts repeat the last pixel),
// odd channel counts (the last channel alone) and Cin not a multiple of 4 (a zero-padded group);
// every tenth case with int8 extremes in inputs and weights.
TEST(DspKernels, WidePointwiseAndFusedAddMatchReferenceBitForBit) {
  std::mt19937 rng(16);
  for (int trial = 0; trial < 300; ++trial) {
    ConvCase c = RandomCase(rng, false, 1, 1);
    if (trial % 10 == 0) {
      for (int8_t& v : c.in) v = static_cast<int8_t>(std::bernoulli_distribution(0.5)(rng) ? 127 : -128);
      for (int8_t& w : c.weights) w = static_cast<int8_t>(std::bernoulli_distribution(0.5)(rng) ? 127 : -127);
      kilonas_channel_words(c.weights.data(), c.bias.data(), c.mult.data(), c.shift.data(), c.cout, c.cin, 0,
                            c.p.input_offset, c.channels.data());
    }
    std::uniform_int_distribution<int> oy(0, c.h - 1), ox(0, c.w - 1);
    int y0 = oy(rng), y1 = oy(rng), x0 = ox(rng), x1 = ox(rng);
    if (y0 > y1) std::swap(y0, y1);
    if (x0 > x1) std::swap(x0, x1);
    const kilonas_rect r{y0, x0, y1 - y0 + 1, x1 - x0 + 1};
    const kilonas_view iv = View(c.h, c.w, c.cin), ov = View(c.h, c.w, c.cout);
    std::vector<int8_t> ref(c.h * c.w * c.cout, 7), wide(ref.size(), 7);
    const int groups = (c.cin + 3) / 4;
    std::vector<int16_t> weights(static_cast<size_t>(c.cout) * groups * 4 + 1);  // + 1: not word-sized
    std::vector<int32_t> records(static_cast<size_t>(c.cout) * KILONAS_WIDE_RECORD);
    int16_t* const aligned = weights.data() + (reinterpret_cast<uintptr_t>(weights.data()) % 4 ? 1 : 0);
    kilonas_pointwise_wide_constants(c.weights.data(), c.cout, c.cin, c.channels.data(), c.p.output_offset,
                                     c.p.fast_requant, aligned, records.data());
    kilonas_conv_params wp = c.p;
    wp.weights = reinterpret_cast<const int8_t*>(aligned);
    wp.channels = records.data();
    std::vector<int32_t> scratch_words(core::ScratchBytes(core::OpKind::kPointwiseConv2d, 1, 0,
                                                          core::KernelSet::kOptimized, false, c.h, c.w, c.cin,
                                                          core::WeightLayout::kWide) /
                                       4);
    int16_t* const scratch = reinterpret_cast<int16_t*>(scratch_words.data());
    kilonas_pointwise_ref(&c.p, c.in.data(), &iv, ref.data(), &ov, &r);
    kilonas_pointwise_wide_dsp(&wp, c.in.data(), &iv, wide.data(), &ov, &r, scratch);
    ASSERT_EQ(ref, wide) << "trial " << trial;

    std::vector<int8_t> residual(ref.size());
    for (int8_t& v : residual) v = static_cast<int8_t>(std::uniform_int_distribution<int>(-128, 127)(rng));
    const kilonas_add_params a{5, -3, 7, 1 << 30, -1, 1 << 30, -2, 1 << 30, -19, 20, -128, 127};
    std::vector<int8_t> fused_ref = residual, fused_wide = residual;
    kilonas_pointwise_add_ref(&c.p, &a, c.in.data(), &iv, fused_ref.data(), &ov, &r);
    kilonas_pointwise_add_wide_dsp(&wp, &a, c.in.data(), &iv, fused_wide.data(), &ov, &r, scratch);
    ASSERT_EQ(fused_ref, fused_wide) << "fused, trial " << trial;
  }
}

// With the weights and channel words in the SMLAD kernel's layout (kilonas_fully_connected_dsp_
// constants) and the planned scratch; every tenth case at the ends of the int8 ranges, where the
// input pairs' halfwords x1 - 256 x0 - 128 reach -32768 and 32767.
TEST(DspKernels, FullyConnectedMatchesReferenceBitForBit) {
  std::mt19937 rng(14);
  for (int trial = 0; trial < 300; ++trial) {
    ConvCase c = RandomCase(rng, false, 1, 1);
    const int in_n = c.h * c.w * c.cin;  // the flattened input, weights [cout][in_n]
    const bool extreme = trial % 10 == 0;
    c.weights.resize(static_cast<size_t>(c.cout) * in_n);
    for (int8_t& w : c.weights) {
      w = static_cast<int8_t>(extreme ? (std::bernoulli_distribution(0.5)(rng) ? 127 : -128)
                                      : std::uniform_int_distribution<int>(-127, 127)(rng));
    }
    if (extreme) {
      for (int i = 0; i < in_n; ++i) c.in[i] = static_cast<int8_t>((i + trial / 10) % 2 ? 127 : -128);
    }
    c.p.weights = c.weights.data();
    kilonas_channel_words(c.weights.data(), c.bias.data(), c.mult.data(), c.shift.data(), c.cout, in_n, 0,
                          c.p.input_offset, c.channels.data());
    std::vector<int8_t> ref(c.cout), dsp(c.cout);
    kilonas_fully_connected(&c.p, c.in.data(), in_n, ref.data(), c.cout);
    std::vector<int8_t> weights = c.weights;
    weights.resize((weights.size() + 3) / 4 * 4, 0);
    kilonas_fully_connected_dsp_constants(weights.data(), c.cout, in_n, c.channels.data());
    c.p.weights = weights.data();
    std::vector<int16_t> scratch(
        core::ScratchBytes(core::OpKind::kFullyConnected, 1, 0, core::KernelSet::kOptimized, false, c.h, c.w, c.cin) /
        2);
    kilonas_fully_connected_dsp(&c.p, c.in.data(), in_n, dsp.data(), c.cout, scratch.data());
    ASSERT_EQ(ref, dsp) << "trial " << trial;
  }
}

// The fused add's prepared form against the reference element for random valid parameters:
// zero and negative input shifts, output shifts on both sides of zero, narrowed activations.
TEST(DspKernels, PreparedAddEqualsTheReferenceAdd) {
  std::mt19937 rng(15);
  std::uniform_int_distribution<int> i8(-128, 127);
  std::uniform_int_distribution<int32_t> mult(1 << 30, INT32_MAX);
  for (int trial = 0; trial < 2000; ++trial) {
    kilonas_add_params a{};
    a.input1_offset = -i8(rng);
    a.input2_offset = -i8(rng);
    a.output_offset = i8(rng);
    a.left_shift = std::uniform_int_distribution<int>(0, 20)(rng);
    a.input1_multiplier = mult(rng);
    a.input1_shift = std::uniform_int_distribution<int>(-10, 0)(rng);
    a.input2_multiplier = mult(rng);
    a.input2_shift = std::uniform_int_distribution<int>(-10, 0)(rng);
    a.output_multiplier = mult(rng);
    a.output_shift = std::uniform_int_distribution<int>(-a.left_shift - 6, 2)(rng);
    a.act_min = trial % 3 == 0 ? std::max(-128, a.output_offset) : -128;
    a.act_max = trial % 5 == 0 ? 100 : 127;
    kilonas_add_fast f;
    kilonas_add_prepare(&a, &f);
    for (int i = 0; i < 50; ++i) {
      const int8_t x = static_cast<int8_t>(i8(rng)), y = static_cast<int8_t>(i8(rng));
      ASSERT_EQ(kilonas_add_one_fast(&f, &a, x, y), kilonas_add_one(&a, x, y)) << "trial " << trial;
    }
  }
}

// As a patch stage calls it: the input view holds only the rows and columns an output rect's
// windows reach (inside the tensor), the rect's outputs are written over it from its start.
TEST(InPlaceDepthwise, SmladMatchesTheReferenceOnPatchViews) {
  std::mt19937 rng(31);
  for (int trial = 0; trial < 400; ++trial) {
    const int k = 3 + 2 * (trial % 3), stride = 1 + (trial / 3) % 2;
    ConvCase c = RandomCase(rng, true, k, stride);
    const int oh = c.oh(), ow = c.ow(), pad = c.pad;
    std::uniform_int_distribution<int> oy(0, oh - 1), ox(0, ow - 1);
    int y0 = oy(rng), y1 = oy(rng), x0 = ox(rng), x1 = ox(rng);
    if (y0 > y1) std::swap(y0, y1);
    if (x0 > x1) std::swap(x0, x1);
    const kilonas_rect r{y0, x0, y1 - y0 + 1, x1 - x0 + 1};
    const int iy0 = std::max(y0 * stride - pad, 0), iy1 = std::min(y1 * stride - pad + k - 1, c.h - 1);
    const int ix0 = std::max(x0 * stride - pad, 0), ix1 = std::min(x1 * stride - pad + k - 1, c.w - 1);
    const kilonas_view iv{iy1 - iy0 + 1, ix1 - ix0 + 1, c.cin, iy0, ix0};
    const kilonas_view ov{r.h, r.w, c.cin, y0, x0};
    std::vector<int8_t> buf(static_cast<size_t>(iv.h) * iv.w * c.cin);
    for (int y = 0; y < iv.h; ++y) {
      for (int x = 0; x < iv.w; ++x) {
        for (int ch = 0; ch < c.cin; ++ch) {
          buf[(y * iv.w + x) * c.cin + ch] = c.in[((y + iy0) * c.w + x + ix0) * c.cin + ch];
        }
      }
    }
    std::vector<int8_t> ref(static_cast<size_t>(r.h) * r.w * c.cin);
    const kilonas_view full = View(c.h, c.w, c.cin);
    kilonas_depthwise_ref(&c.p, c.in.data(), &full, ref.data(), &ov, &r);
    const kilonas_scratch_query q{k, pad, iv.h, iv.w, c.cin, k, c.pad_end};
    std::vector<int8_t> scratch(kilonas_depthwise_inplace_dsp_scratch(&q));
    kilonas_depthwise_inplace_dsp(&c.p, buf.data(), &iv, &ov, &r, scratch.data());
    ASSERT_EQ(std::vector<int8_t>(buf.begin(), buf.begin() + ref.size()), ref) << "trial " << trial;
  }
}

// The direct stride-2 path writes output pixel q over input pixel q: safe while no later output
// reads there, which a whole tensor or a patch always allows, an output view placed further
// into the buffer does not.
TEST(InPlaceDepthwise, DirectStride2PathOnlyWhereNoLaterOutputReadsAWrittenPixel) {
  kilonas_conv_params p{};
  p.kernel = 3;
  p.stride = 2;
  p.pad = 1;
  p.kernel_w = 3;
  p.pad_w = 1;
  p.pad_end = 1;
  p.in_h = 8;
  p.in_w = 8;
  const kilonas_view iv{8, 8, 4, 0, 0};
  const kilonas_rect r{0, 0, 4, 4};
  const kilonas_view ov{4, 4, 4, 0, 0};
  EXPECT_EQ(kilonas_dw3x3_s2_direct_safe(&p, &iv, &ov, &r), 1);
  // Output (0, 0) written at pixel 8 = input (1, 0), which output (1, 0) reads.
  const kilonas_view ov_later{6, 4, 4, -2, 0};
  EXPECT_EQ(kilonas_dw3x3_s2_direct_safe(&p, &iv, &ov_later, &r), 0);
  // Stride 1 pitch (output view as wide as the input): output (0, 1) at pixel 1, which (1, 0) reads.
  p.stride = 1;
  const kilonas_rect r1{0, 0, 8, 8};
  const kilonas_view ov1{8, 8, 4, 0, 0};
  EXPECT_EQ(kilonas_dw3x3_s2_direct_safe(&p, &iv, &ov1, &r1), 0);
}

TEST(InPlaceDepthwise, ReferenceAndSmladMatchOutOfPlaceForEveryKernelAndStride) {
  std::mt19937 rng(3);
  for (int trial = 0; trial < 300; ++trial) {
    const int k = 3 + 2 * (trial % 3), stride = 1 + (trial / 3) % 2;
    ConvCase c = RandomCase(rng, true, k, stride);
    const kilonas_view iv = View(c.h, c.w, c.cin), ov = View(c.oh(), c.ow(), c.cin);
    const kilonas_rect r{0, 0, c.oh(), c.ow()};
    std::vector<int8_t> ref(c.oh() * c.ow() * c.cin);
    kilonas_depthwise_ref(&c.p, c.in.data(), &iv, ref.data(), &ov, &r);
    std::vector<int8_t> buf = c.in;  // output written over the input
    const kilonas_scratch_query q{k, c.pad, c.h, c.w, c.cin, k, c.pad_end};
    std::vector<int8_t> scratch(kilonas_depthwise_inplace_scratch(&q));
    kilonas_depthwise_inplace(&c.p, buf.data(), &iv, &ov, &r, scratch.data());
    ASSERT_EQ(std::vector<int8_t>(buf.begin(), buf.begin() + ref.size()), ref) << "trial " << trial;
    // The SMLAD variant, its scratch exactly as planned (core::ScratchBytes: 4 bytes of slack).
    buf = c.in;
    std::vector<int8_t> dsp_scratch(kilonas_depthwise_inplace_dsp_scratch(&q));
    kilonas_depthwise_inplace_dsp(&c.p, buf.data(), &iv, &ov, &r, dsp_scratch.data());
    ASSERT_EQ(std::vector<int8_t>(buf.begin(), buf.begin() + ref.size()), ref) << "SMLAD, trial " << trial;
  }
}

// Float result of output element o on dequantized operands (zero point = -input_offset; the
// weights and bias are the exact integers, the requant multiplier the exact real).
double RealMultiplier(int32_t m, int32_t shift) { return m / 2147483648.0 * std::pow(2.0, shift); }

TEST(ReferenceKernels, ConvIsWithinOneStepOfFloatMath) {
  std::mt19937 rng(4);
  for (int trial = 0; trial < 100; ++trial) {
    ConvCase c = RandomCase(rng, false, 3, 1 + trial % 2);
    const kilonas_view iv = View(c.h, c.w, c.cin), ov = View(c.oh(), c.ow(), c.cout);
    const kilonas_rect r{0, 0, c.oh(), c.ow()};
    std::vector<int8_t> out(c.oh() * c.ow() * c.cout);
    kilonas_conv2d_ref(&c.p, c.in.data(), &iv, out.data(), &ov, &r);
    for (int y = 0; y < c.oh(); ++y) {
      for (int x = 0; x < c.ow(); ++x) {
        for (int o = 0; o < c.cout; ++o) {
          double acc = c.bias[o];
          for (int ky = 0; ky < 3; ++ky) {
            for (int kx = 0; kx < 3; ++kx) {
              const int iy = y * c.stride - 1 + ky, ix = x * c.stride - 1 + kx;
              if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
              for (int i = 0; i < c.cin; ++i) {
                acc += (c.in[(iy * c.w + ix) * c.cin + i] + c.p.input_offset) *
                       static_cast<double>(c.weights[((o * 3 + ky) * 3 + kx) * c.cin + i]);
              }
            }
          }
          const double real = acc * RealMultiplier(c.mult[o], c.shift[o]) + c.p.output_offset;
          const double expected = std::clamp(real, static_cast<double>(c.p.act_min), 127.0);
          ASSERT_LE(std::abs(out[(y * c.ow() + x) * c.cout + o] - expected), 1.0);
        }
      }
    }
  }
}

TEST(ReferenceKernels, AddAndPoolAreWithinOneStepOfFloatMath) {
  std::mt19937 rng(5);
  std::uniform_int_distribution<int> i8(-128, 127);
  for (int trial = 0; trial < 100; ++trial) {
    // Add with scales 0.02 and 0.05 into 0.06, zero points 3, -7 -> 11.
    const double s1 = 0.02, s2 = 0.05, so = 0.06, twice = 2 * 0.05;
    auto q = [](double real) {
      int e = 0;
      const double f = std::frexp(real, &e);
      return std::pair<int32_t, int32_t>{static_cast<int32_t>(std::llround(f * 2147483648.0)), e};
    };
    const auto m1 = q(s1 / twice), m2 = q(s2 / twice), mo = q(twice / ((1 << 20) * so));
    const kilonas_add_params a{-3, 7, 11, m1.first, m1.second, m2.first, m2.second, mo.first, mo.second, 20, -128, 127};
    const int8_t x = static_cast<int8_t>(i8(rng)), y = static_cast<int8_t>(i8(rng));
    int8_t out = 0;
    const kilonas_view v{1, 1, 1, 0, 0};
    const kilonas_rect r{0, 0, 1, 1};
    kilonas_add(&a, &x, &v, &y, &v, &out, &v, &r);
    const double expected = std::clamp(((x - 3) * s1 + (y + 7) * s2) / so + 11, -128.0, 127.0);
    ASSERT_LE(std::abs(out - expected), 1.0) << int(x) << " " << int(y);
  }
  // Global average pool of 49 pixels, same scale in and out: the rounded mean.
  std::vector<int8_t> in(49 * 3);
  for (int8_t& v : in) v = static_cast<int8_t>(i8(rng));
  int e = 0;
  const double f = std::frexp(1.0 / 49, &e);
  const kilonas_pool_params pool{5, -5, static_cast<int32_t>(std::llround(f * 2147483648.0)), e};
  int8_t out[3];
  kilonas_global_avg_pool(&pool, in.data(), 49, 3, out);
  for (int c = 0; c < 3; ++c) {
    double sum = 0;
    for (int p = 0; p < 49; ++p) sum += in[p * 3 + c] + 5;
    EXPECT_LE(std::abs(out[c] - (sum / 49 - 5)), 1.0);
  }
}

// TFLite's MultiplyByQuantizedMultiplier written as gemmlowp does (nudge + truncating 64-bit
// division), against which the runtime's shift-only form must agree exactly.
int32_t TfliteRequantize(int32_t x, int32_t m, int32_t shift) {
  const int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  const int32_t a = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  const int64_t ab = static_cast<int64_t>(a) * m;
  const int64_t nudge = ab >= 0 ? (1ll << 30) : (1 - (1ll << 30));
  const int32_t high = static_cast<int32_t>((ab + nudge) / (1ll << 31));
  const int32_t mask = static_cast<int32_t>((1u << right) - 1u);
  const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

TEST(ReferenceKernels, DepthwiseAndFullyConnectedAreWithinOneStepOfFloatMath) {
  std::mt19937 rng(12);
  for (int trial = 0; trial < 100; ++trial) {
    ConvCase c = RandomCase(rng, true, 3 + 2 * (trial % 3), 1 + trial % 2);
    const int pad = c.pad;
    const kilonas_view iv = View(c.h, c.w, c.cin), ov = View(c.oh(), c.ow(), c.cin);
    const kilonas_rect r{0, 0, c.oh(), c.ow()};
    std::vector<int8_t> out(c.oh() * c.ow() * c.cin);
    kilonas_depthwise_ref(&c.p, c.in.data(), &iv, out.data(), &ov, &r);
    for (int y = 0; y < c.oh(); ++y) {
      for (int x = 0; x < c.ow(); ++x) {
        for (int ch = 0; ch < c.cin; ++ch) {
          double acc = c.bias[ch];
          for (int ky = 0; ky < c.k; ++ky) {
            for (int kx = 0; kx < c.k; ++kx) {
              const int iy = y * c.stride - pad + ky, ix = x * c.stride - pad + kx;
              if (iy < 0 || iy >= c.h || ix < 0 || ix >= c.w) continue;
              acc += (c.in[(iy * c.w + ix) * c.cin + ch] + c.p.input_offset) *
                     static_cast<double>(c.weights[(ky * c.k + kx) * c.cin + ch]);
            }
          }
          const double real = acc * RealMultiplier(c.mult[ch], c.shift[ch]) + c.p.output_offset;
          ASSERT_LE(std::abs(out[(y * c.ow() + x) * c.cin + ch] - std::clamp(real, double(c.p.act_min), 127.0)), 1.0);
        }
      }
    }
    // Fully connected: the same case's input flattened, weights reused as [cout][in].
    ConvCase fc = RandomCase(rng, false, 1, 1);
    const int in_n = fc.h * fc.w * fc.cin;
    std::vector<int8_t> weights(static_cast<size_t>(fc.cout) * in_n);
    for (int8_t& w : weights) w = static_cast<int8_t>(std::uniform_int_distribution<int>(-127, 127)(rng));
    fc.p.weights = weights.data();
    std::vector<int8_t> fc_out(fc.cout);
    kilonas_fully_connected(&fc.p, fc.in.data(), in_n, fc_out.data(), fc.cout);
    for (int o = 0; o < fc.cout; ++o) {
      double acc = fc.bias[o];
      for (int i = 0; i < in_n; ++i) acc += (fc.in[i] + fc.p.input_offset) * static_cast<double>(weights[o * in_n + i]);
      const double real = acc * RealMultiplier(fc.mult[o], fc.shift[o]) + fc.p.output_offset;
      ASSERT_LE(std::abs(fc_out[o] - std::clamp(real, double(fc.p.act_min), 127.0)), 1.0);
    }
  }
}

TEST(Requantize, ShiftFormEqualsTflitesDivisionFormOnRandomInputs) {
  std::mt19937 rng(6);
  std::uniform_int_distribution<int32_t> acc(-(1 << 24), 1 << 24), mult(0, INT32_MAX), shift(-31, 8);
  for (int i = 0; i < 1000000; ++i) {
    const int32_t x = acc(rng), m = mult(rng), s = shift(rng);
    ASSERT_EQ(kilonas_requantize(x, m, s), TfliteRequantize(x, m, s)) << x << " " << m << " " << s;
  }
}

TEST(Requantize, FastOutputEqualsTflitesPlusZeroPointForRightShiftsTheFastPathTakes) {
  std::mt19937 rng(13);
  std::uniform_int_distribution<int32_t> acc(-((1 << 30) - 1), (1 << 30) - 1), mult(0, INT32_MAX),
      shift(KILONAS_MIN_FAST_SHIFT, -1), zero_point(-128, 127);
  for (int i = 0; i < 1000000; ++i) {
    // Small accumulators too: a negative one whose product rounds to 0 takes the sign-term shortcut.
    const int32_t x = i < 100000 ? acc(rng) % 64 : acc(rng), m = i % 1000 == 0 ? INT32_MAX : mult(rng);
    const int32_t r = i % 997 == 0 ? -KILONAS_MIN_FAST_SHIFT : -shift(rng), zp = zero_point(rng);
    const int32_t expected = std::clamp(TfliteRequantize(x, m, -r) + zp, -128, 127);
    ASSERT_EQ(kilonas_output_fast(2 * x, m, r, kilonas_round_zp(r, zp)), expected)
        << x << " " << m << " " << r << " " << zp;
  }
}

TEST(Requantize, FastPathTakesShiftsFromMinFastShiftToMaxShiftAndTheFullInt8RangeOnly) {
  const std::vector<int32_t> in_range = {KILONAS_MIN_FAST_SHIFT, -7, -1};
  EXPECT_EQ(kilonas_fast_requant(in_range.data(), 3, -128, 127, -1), 1);
  const std::vector<int32_t> too_far_right = {-7, KILONAS_MIN_FAST_SHIFT - 1};
  EXPECT_EQ(kilonas_fast_requant(too_far_right.data(), 2, -128, 127, -1), 0);
  const std::vector<int32_t> left = {-7, 0};
  EXPECT_EQ(kilonas_fast_requant(left.data(), 2, -128, 127, -1), 0);
  EXPECT_EQ(kilonas_fast_requant(left.data(), 2, -128, 127, 0), 1);
  EXPECT_EQ(kilonas_fast_requant(in_range.data(), 3, 0, 127, -1), 0);  // a ReLU clamp
}

TEST(Requantize, RoundsToNearestLikeTflite) {
  // 0.5 = 2^30 * 2^0 / 2^31. The doubling high multiply rounds ties up (toward +infinity), the
  // power-of-two division ties away from zero, as in gemmlowp/TFLite.
  EXPECT_EQ(kilonas_requantize(100, 1 << 30, 0), 50);
  EXPECT_EQ(kilonas_requantize(101, 1 << 30, 0), 51);
  EXPECT_EQ(kilonas_requantize(-101, 1 << 30, 0), -50);
  EXPECT_EQ(kilonas_requantize(-1000, 1 << 30, -3), -63);
  EXPECT_EQ(kilonas_requantize(1000, 1 << 30, -3), 63);  // 62.5 -> 63
  EXPECT_EQ(kilonas_requantize(3, 1 << 30, 2), 6);
}

}  // namespace
}  // namespace kilonas::engine
