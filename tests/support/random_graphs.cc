#include "tests/support/random_graphs.h"

#include <gtest/gtest.h>

#include "core/graph_builder.h"

namespace kilonas::testing {
namespace {

int Pick(std::mt19937& rng, std::initializer_list<int> values) {
  std::uniform_int_distribution<size_t> index(0, values.size() - 1);
  return *(values.begin() + index(rng));
}

}  // namespace

core::NetSpec RandomNetSpec(std::mt19937& rng) {
  core::NetSpec spec;
  spec.name = "random";
  spec.resolution = std::uniform_int_distribution<int>(12, 72)(rng);
  spec.in_channels = Pick(rng, {1, 3});
  spec.num_classes = Pick(rng, {2, 10});
  spec.stem_channels = Pick(rng, {8, 16, 24});
  spec.stem_stride = Pick(rng, {1, 2});
  const int num_blocks = std::uniform_int_distribution<int>(1, 10)(rng);
  int channels = spec.stem_channels;
  for (int i = 0; i < num_blocks; ++i) {
    core::MbBlockSpec block;
    // Keep the channel count half the time so residual adds appear.
    block.out_channels = std::bernoulli_distribution(0.5)(rng) ? channels : Pick(rng, {8, 16, 24, 32});
    block.kernel = Pick(rng, {3, 5, 7});
    block.expand = Pick(rng, {1, 3, 4, 6});
    block.stride = std::bernoulli_distribution(0.25)(rng) ? 2 : 1;
    channels = block.out_channels;
    spec.blocks.push_back(block);
  }
  spec.head_channels = Pick(rng, {0, 32, 64});
  return spec;
}

core::Graph RandomGraph(std::mt19937& rng) {
  core::Result<core::Graph> graph = core::BuildGraph(RandomNetSpec(rng));
  EXPECT_TRUE(graph.ok()) << (graph.ok() ? "" : graph.error().message);
  return std::move(graph).value();
}

core::Graph PoolNetwork(bool softmax) {
  core::GraphBuilder b({20, 20, 3});
  int x = b.Window(core::OpKind::kConv2d, "stem", b.graph().input(), 8, 3, 1, core::Activation::kRelu6, -1);
  x = b.Window(core::OpKind::kAvgPool2d, "pool1", x, 8, 3, 2, core::Activation::kNone, -1);
  x = b.Window(core::OpKind::kPointwiseConv2d, "expand", x, 16, 1, 1, core::Activation::kRelu6, -1);
  x = b.Window(core::OpKind::kDepthwiseConv2d, "dw", x, 16, 3, 1, core::Activation::kRelu6, -1);
  x = b.Window(core::OpKind::kMaxPool2d, "pool_max", x, 16, 3, 1, core::Activation::kNone, -1);
  x = b.Append({core::OpKind::kAvgPool2d, "pool2", {x}, -1, 2, 2, 0, core::Activation::kNone, -1},
               core::Shape{5, 5, 16});
  x = b.Append({core::OpKind::kGlobalAvgPool, "gap", {x}, -1, 1, 1, 0, core::Activation::kNone, -1},
               core::Shape{1, 1, 16});
  x = b.Append({core::OpKind::kFullyConnected, "fc", {x}, -1, 1, 1, 0, core::Activation::kNone, -1},
               core::Shape{1, 1, 5});
  if (softmax) {
    x = b.Append({core::OpKind::kSoftmax, "softmax", {x}, -1, 1, 1, 0, core::Activation::kNone, -1},
                 core::Shape{1, 1, 5});
  }
  return b.Finish(x);
}

core::Graph TflitePoolNetwork() {
  core::GraphBuilder b({20, 20, 3});
  int x = b.Window(core::OpKind::kConv2d, "stem", b.graph().input(), 8, 3, 1, core::Activation::kRelu6, -1);
  x = b.Append({core::OpKind::kMaxPool2d, "max_valid", {x}, -1, 2, 2, 0, core::Activation::kNone, -1}, {10, 10, 8});
  x = b.Window(core::OpKind::kPointwiseConv2d, "expand", x, 16, 1, 1, core::Activation::kNone, -1);
  x = b.Window(core::OpKind::kMaxPool2d, "max_same", x, 16, 3, 1, core::Activation::kRelu, -1);
  x = b.Append({core::OpKind::kAvgPool2d, "avg_valid", {x}, -1, 2, 2, 0, core::Activation::kNone, -1}, {5, 5, 16});
  x = b.Append({core::OpKind::kGlobalAvgPool, "gap", {x}, -1, 1, 1, 0, core::Activation::kNone, -1}, {1, 1, 16});
  x = b.Append({core::OpKind::kFullyConnected, "fc", {x}, -1, 1, 1, 0, core::Activation::kNone, -1}, {1, 1, 5});
  x = b.Append({core::OpKind::kSoftmax, "softmax", {x}, -1, 1, 1, 0, core::Activation::kNone, -1}, {1, 1, 5});
  return b.Finish(x);
}

core::Graph SamePaddedNetwork() {
  core::GraphBuilder b({20, 20, 3});
  const auto same = [&](core::OpKind kind, const std::string& name, int from, int channels, int kernel, int stride,
                        core::Activation act, core::Shape out) {
    core::Op op{kind, name, {from}, -1, kernel, stride, 0, act, -1};
    op.padding_end = 1;
    return b.Append(op, out);
  };
  int x = same(core::OpKind::kConv2d, "stem", b.graph().input(), 8, 3, 2, core::Activation::kRelu6, {10, 10, 8});
  x = same(core::OpKind::kDepthwiseConv2d, "dw_s2", x, 8, 3, 2, core::Activation::kRelu6, {5, 5, 8});
  x = b.Window(core::OpKind::kPointwiseConv2d, "expand", x, 16, 1, 1, core::Activation::kRelu6, -1);
  x = b.Window(core::OpKind::kDepthwiseConv2d, "dw_s1", x, 16, 3, 1, core::Activation::kRelu6, -1);
  x = same(core::OpKind::kAvgPool2d, "pool", x, 16, 2, 2, core::Activation::kNone, {3, 3, 16});
  x = b.Append({core::OpKind::kGlobalAvgPool, "gap", {x}, -1, 1, 1, 0, core::Activation::kNone, -1},
               core::Shape{1, 1, 16});
  x = b.Append({core::OpKind::kFullyConnected, "fc", {x}, -1, 1, 1, 0, core::Activation::kNone, -1},
               core::Shape{1, 1, 5});
  return b.Finish(x);
}

std::vector<float> RandomPoolImage(std::mt19937& rng) {
  std::vector<float> image(20 * 20 * 3);
  for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  return image;
}

}  // namespace kilonas::testing
