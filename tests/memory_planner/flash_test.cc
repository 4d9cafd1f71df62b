#include "memory_planner/flash.h"

#include <gtest/gtest.h>

#include "core/net_spec.h"

namespace kilonas::memory_planner {
namespace {

TEST(EstimateFlash, CountsInt8WeightsInt32BiasRequantCodeAndRuntime) {
  core::NetSpec spec;
  spec.name = "tiny";
  spec.resolution = 8;
  spec.in_channels = 1;
  spec.num_classes = 2;
  spec.stem_channels = 8;
  spec.blocks = {{8, 3, 1, 1}};  // dw 3x3 (72 weights) + project 8x8 (64), residual add
  spec.head_channels = 0;
  const core::Graph g = core::BuildGraph(spec).value();
  const FlashEstimate f = EstimateFlash(g, 1000);
  // stem 8x1x3x3 = 72, dw 72, project 64, classifier 8x2 = 16.
  EXPECT_EQ(f.weight_bytes, 72 + 72 + 64 + 16);
  EXPECT_EQ(f.bias_bytes, 4 * (8 + 8 + 8 + 2));
  EXPECT_EQ(f.requant_bytes, kRequantBytesPerChannel * (8 + 8 + 8 + 2));
  EXPECT_EQ(f.graph_code_bytes, kGraphCodeBytesPerOp * static_cast<int64_t>(g.ops().size()));
  EXPECT_EQ(f.runtime_code_bytes, 1000);
  EXPECT_EQ(f.Total(), f.weight_bytes + f.bias_bytes + f.requant_bytes + f.graph_code_bytes + 1000);
}

}  // namespace
}  // namespace kilonas::memory_planner
