// Every line of the kernel list (runtime/kilonas_kernels.inc) against the reference kernel of its
// op kind, bit for bit, through the host's one dispatch (CallKernel), the exporter's constants
// (ConstantsFor) and exactly the scratch the planner reserves (core::ScratchBytes, canary after
// it): random shapes with odd sizes and 1-pixel maps, extreme zero points, ReLU clamps, every
// kernel size and stride the line claims. A new line is tested without touching this file.
#include "core/kernel_registry.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/graph_builder.h"
#include "engine/kernel_table.h"
#include "engine/quantizer.h"
#include "engine/schedule.h"

namespace kilonas::engine {
namespace {

constexpr int kTrials = 120;
constexpr int8_t kCanary = 0x5A;

// A one-op network for `kernel` (plus the add a fused kernel computes), quantized from random
// float weights, with a random input.
struct Case {
  Model model;
  std::vector<int8_t> input;
  int kernel_size = 1, stride = 1;
};

int Pick(std::mt19937& rng, int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); }

// Odd window sizes up to the line's claim (9 where it claims any), strides up to its claim (3).
std::pair<int, int> RandomWindow(const core::KernelVariant& k, std::mt19937& rng) {
  if (!core::Traits(k.kind).window || k.max_kernel == 1) return {1, 1};
  const int max_kernel = k.max_kernel > 0 ? k.max_kernel : 9, max_stride = k.max_stride > 0 ? k.max_stride : 3;
  return {1 + 2 * Pick(rng, 0, (max_kernel - 1) / 2), Pick(rng, 1, max_stride)};
}

core::Graph OneOpGraph(const core::KernelVariant& k, std::mt19937& rng, int kernel_size, int stride) {
  const bool one_pixel = std::bernoulli_distribution(0.1)(rng);
  const core::Shape in{one_pixel ? 1 : Pick(rng, 1, 13), one_pixel ? 1 : Pick(rng, 1, 13), Pick(rng, 1, 19)};
  core::GraphBuilder b(in);
  const auto act = static_cast<core::Activation>(Pick(rng, 0, 2));
  int out = -1;
  if (k.kind == core::OpKind::kFullyConnected) {
    out = b.Append({k.kind, "op", {b.graph().input()}, -1, 1, 1, 0, act, -1}, core::Shape{1, 1, Pick(rng, 1, 19)});
  } else {
    const bool keeps_channels = k.kind == core::OpKind::kDepthwiseConv2d || k.writes_over;
    out = b.Window(k.kind, "op", b.graph().input(), keeps_channels ? in.c : Pick(rng, 1, 19), kernel_size, stride, act,
                   0);
  }
  if (FusesAdd(k.id)) {  // the add the kernel computes, residual first
    const core::Shape shape = b.graph().tensor(out).shape;
    out =
        b.Append({core::OpKind::kAdd, "add", {b.graph().input(), out}, -1, 1, 1, 0, core::Activation::kNone, 0}, shape);
  }
  return b.Finish(out);
}

Case RandomCase(const core::KernelVariant& k, std::mt19937& rng) {
  Case c;
  std::tie(c.kernel_size, c.stride) = RandomWindow(k, rng);
  const core::Graph graph = OneOpGraph(k, rng, c.kernel_size, c.stride);
  std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
  std::vector<std::vector<float>> calibration(3, std::vector<float>(graph.tensor(graph.input()).shape.Elements()));
  for (auto& image : calibration) std::generate(image.begin(), image.end(), [&] { return pixel(rng); });
  core::Result<Model> model = Quantize(core::RandomFloatModel(graph, rng), calibration, {});
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  c.model = std::move(model).value();
  c.model.graph.mutable_op(0).weights = k.weights;
  if (std::bernoulli_distribution(0.25)(rng)) {  // extreme zero points on the op's input and output
    for (int t : {c.model.graph.input(), c.model.graph.op(0).output}) {
      c.model.graph.mutable_tensor(t).quant.zero_points = {std::bernoulli_distribution(0.5)(rng) ? -128 : 127};
    }
  }
  c.input.resize(static_cast<size_t>(c.model.graph.tensor(c.model.graph.input()).shape.Elements()));
  const bool extremes = std::bernoulli_distribution(0.2)(rng);
  for (int8_t& v : c.input) v = static_cast<int8_t>(extremes ? (Pick(rng, 0, 1) ? 127 : -128) : Pick(rng, -128, 127));
  return c;
}

kilonas_view WholeView(const core::Shape& s) { return {s.h, s.w, s.c, 0, 0}; }

// Runs op 0 of `c` with `kernel`: its output (in place: the buffer's first output bytes; fused:
// the residual after the add). `scratch_canary_intact` is false if the kernel wrote past the
// scratch the planner reserves.
std::vector<int8_t> RunKernel(const Case& c, Kernel kernel, const kilonas_rect& rect, bool* scratch_canary_intact) {
  const core::KernelVariant& k = core::KernelInfo(kernel);
  const core::Graph& g = c.model.graph;
  const core::Op& op = g.op(0);
  const core::Shape in = g.InputOf(op).shape, out = g.OutputOf(op).shape;
  const KernelConstants constants = ConstantsFor(c.model, 0, kernel);
  kilonas_conv_params conv = ConvParams(c.model, 0, constants.channels.empty() ? nullptr : constants.channels.data());
  conv.weights = constants.weights.data();
  const bool fused = FusesAdd(kernel);
  const kilonas_add_params add = fused ? FusedAddParams(c.model, 0) : kilonas_add_params{};
  const kilonas_pool_params pool = PoolParams(c.model, 0);
  const kilonas_view iv = WholeView(in), ov = WholeView(out);
  std::vector<int8_t> input = c.input;
  std::vector<int8_t> output(static_cast<size_t>(out.Elements()), 7);  // 7: pixels outside the rect
  const int64_t scratch_bytes = core::ScratchBytes(
      g, op, k.reference ? core::KernelSet::kReference : core::KernelSet::kOptimized, WorksInPlace(kernel), in.h, in.w);
  std::vector<int32_t> scratch_words(static_cast<size_t>((scratch_bytes + 16 + 3) / 4));
  int8_t* const scratch = reinterpret_cast<int8_t*>(scratch_words.data());
  std::fill(scratch + scratch_bytes, scratch + scratch_words.size() * 4, kCanary);

  KernelArgs args;
  args.conv = &conv;
  args.add = &add;
  args.pool = &pool;
  args.in = input.data();
  args.in_view = &iv;
  args.out = output.data();
  args.out_view = &ov;
  args.rect = &rect;
  args.scratch = scratch;
  if (WorksInPlace(kernel)) args.out = input.data();
  if (fused) {  // the residual is the input
    output = c.input;
    args.out = output.data();
  }
  CallKernel(kernel, args);
  *scratch_canary_intact =
      std::all_of(scratch + scratch_bytes, scratch + scratch_words.size() * 4, [](int8_t v) { return v == kCanary; });
  if (args.out == input.data()) return std::vector<int8_t>(input.begin(), input.begin() + output.size());
  return output;
}

// The reference kernels' result: the op's plain reference kernel out of place, then the add for
// a fused kernel.
std::vector<int8_t> Expected(const Case& c, const core::KernelVariant& k, const kilonas_rect& rect) {
  bool intact = true;
  const Kernel oracle = core::FindKernel(k.kind, core::KernelSet::kReference, false);
  std::vector<int8_t> y = RunKernel(c, oracle, rect, &intact);
  if (!FusesAdd(k.id)) return y;
  const core::Shape shape = c.model.graph.OutputOf(c.model.graph.op(0)).shape;
  const kilonas_view v = WholeView(shape);
  const kilonas_add_params add = AddParams(c.model, 1, c.model.graph.input());
  std::vector<int8_t> sum = c.input;  // outside the rect the fused kernel leaves the residual as it was
  KernelArgs args;
  args.add = &add;
  args.in = c.input.data();
  args.in_view = &v;
  args.in2 = y.data();
  args.in2_view = &v;
  args.out = sum.data();
  args.out_view = &v;
  args.rect = &rect;
  CallKernel(core::FindKernel(core::OpKind::kAdd, core::KernelSet::kReference, false), args);
  return sum;
}

// A random block of output pixels (whole maps for in-place kernels, which compute their view).
kilonas_rect RandomRect(const Case& c, const core::KernelVariant& k, std::mt19937& rng) {
  const core::Shape out = c.model.graph.OutputOf(c.model.graph.op(0)).shape;
  if (WorksInPlace(k.id)) return {0, 0, out.h, out.w};
  int y0 = Pick(rng, 0, out.h - 1), y1 = Pick(rng, 0, out.h - 1), x0 = Pick(rng, 0, out.w - 1),
      x1 = Pick(rng, 0, out.w - 1);
  if (y0 > y1) std::swap(y0, y1);
  if (x0 > x1) std::swap(x0, x1);
  return {y0, x0, y1 - y0 + 1, x1 - x0 + 1};
}

// The lines that have an oracle other than themselves (the plain reference kernels are the
// oracle: tests/engine/kernels_test.cc holds them to float math).
std::vector<Kernel> TestedKernels() {
  std::vector<Kernel> kernels;
  for (const core::KernelVariant& k : core::AllKernels()) {
    if (core::FindKernel(k.kind, core::KernelSet::kReference, false) != k.id) kernels.push_back(k.id);
  }
  return kernels;
}

class EveryKernel : public ::testing::TestWithParam<Kernel> {};

TEST_P(EveryKernel, MatchesTheReferenceBitForBitWithinItsPlannedScratch) {
  const core::KernelVariant& k = core::KernelInfo(GetParam());
  std::mt19937 rng(static_cast<uint32_t>(GetParam()) * 7919u);
  for (int trial = 0; trial < kTrials; ++trial) {
    const Case c = RandomCase(k, rng);
    const kilonas_rect rect = RandomRect(c, k, rng);
    bool intact = false;
    const std::vector<int8_t> got = RunKernel(c, k.id, rect, &intact);
    const core::Shape in = c.model.graph.tensor(c.model.graph.input()).shape;
    const std::string where = "trial " + std::to_string(trial) + ": " + in.ToString() + " k" +
                              std::to_string(c.kernel_size) + " s" + std::to_string(c.stride);
    ASSERT_TRUE(intact) << "wrote past its planned scratch, " << where;
    ASSERT_EQ(got, Expected(c, k, rect)) << where;
  }
}

INSTANTIATE_TEST_SUITE_P(Registry, EveryKernel, ::testing::ValuesIn(TestedKernels()),
                         [](const ::testing::TestParamInfo<Kernel>& param) {
                           return std::string(core::KernelInfo(param.param).symbol);
                         });

TEST(KernelRegistry, EveryLineHasADistinctVariantNameAndParsesBack) {
  std::vector<std::string> names;
  for (const core::CallVariant& v : core::AllCallVariants()) {
    names.push_back(v.Name());
    const std::optional<core::CallVariant> back = core::FindCallVariant(v.kind, v.Tokens());
    ASSERT_TRUE(back.has_value()) << v.Name();
    EXPECT_EQ(back->Name(), v.Name());
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end()) << "two lines share a variant name";
}

TEST(KernelRegistry, NamesStayThoseOfTheCommittedLutsAndCodeSizes) {
  // The LUTs and code sizes are keyed by these names: renaming one would orphan measured data.
  std::vector<std::string> names;
  for (const core::CallVariant& v : core::AllCallVariants()) names.push_back(v.Name());
  for (const char* expected :
       {"conv2d", "conv2d ref", "pointwise_conv2d", "pointwise_conv2d ref", "pointwise_conv2d fused_add",
        "pointwise_conv2d ref fused_add", "pointwise_conv2d wide", "pointwise_conv2d wide fused_add",
        "depthwise_conv2d", "depthwise_conv2d ref", "depthwise_conv2d in_place", "depthwise_conv2d ref in_place", "add",
        "add ref", "global_avg_pool", "global_avg_pool ref", "fully_connected", "fully_connected ref"}) {
    EXPECT_NE(std::find(names.begin(), names.end(), expected), names.end()) << expected;
  }
}

}  // namespace
}  // namespace kilonas::engine
