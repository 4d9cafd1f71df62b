#include "memory_planner/flash.h"

#include <gtest/gtest.h>

#include "core/net_spec.h"
#include "memory_planner/patch_plan.h"
#include "memory_planner/plan_calls.h"
#include "tests/support/source_path.h"

namespace kilonas::memory_planner {
namespace {

core::Graph Tiny() {
  core::NetSpec spec;
  spec.name = "tiny";
  spec.resolution = 8;
  spec.in_channels = 1;
  spec.num_classes = 2;
  spec.stem_channels = 8;
  spec.blocks = {{8, 3, 1, 1}};  // dw 3x3 (72 weights) + project 8x8 (64), residual add
  spec.head_channels = 0;
  return core::BuildGraph(spec).value();
}

// Synthetic code sizes: two kernels share the helper "Shared".
CodeSize Code() {
  CodeSize code;
  code.core = "test";
  code.function_bytes = {{"Shared", 1000}, {"conv", 10}, {"pw", 20}, {"pw_add", 30},   {"dw", 40},    {"dw_ref", 45},
                         {"add", 50},      {"pool", 60}, {"fc", 70}, {"conv_ref", 80}, {"pw_ref", 90}};
  code.kernel_functions = {{"conv2d", {"Shared", "conv"}},
                           {"pointwise_conv2d", {"Shared", "pw"}},
                           {"pointwise_conv2d fused_add", {"Shared", "pw_add"}},
                           {"depthwise_conv2d in_place", {"dw"}},
                           {"depthwise_conv2d", {"dw_ref"}},
                           {"add", {"add"}},
                           {"global_avg_pool", {"pool"}},
                           {"fully_connected", {"fc"}},
                           {"conv2d ref", {"conv_ref"}},
                           {"pointwise_conv2d ref", {"pw_ref"}},
                           {"depthwise_conv2d ref", {"dw_ref"}},
                           {"add ref", {"add"}},
                           {"global_avg_pool ref", {"pool"}},
                           {"fully_connected ref", {"fc"}}};
  code.conv_params_bytes = 52;
  code.add_params_bytes = 48;
  code.pool_params_bytes = 16;
  code.call_bytes = 100;
  code.model_base_bytes = 7;
  return code;
}

TEST(EstimateFlash, CountsConstantsParamsCallsAndTheUnionOfKernelFunctions) {
  const core::Graph g = Tiny();
  const FlashEstimate data = EstimateDataFlash(g);
  // stem 8x1x3x3 = 72, dw 72, project 8x8 = 64, classifier 8x2 = 16 (each padded to 4 bytes);
  // the SMLAD stem kernel reads its last 9-weight row as 12 bytes: 3 more, padded to 76.
  EXPECT_EQ(data.weight_bytes, 76 + 72 + 64 + 16);
  EXPECT_EQ(EstimateDataFlash(g, core::KernelSet::kReference).weight_bytes, 72 + 72 + 64 + 16);
  EXPECT_EQ(data.bias_bytes, 4 * (8 + 8 + 8 + 2));
  EXPECT_EQ(data.requant_bytes, kRequantBytesPerChannel * (8 + 8 + 8 + 2));

  const MemoryPlan in_place = PlanInPlace(g);
  const FlashEstimate f = EstimateFlash(g, in_place, Code()).value();
  const int64_t calls = static_cast<int64_t>(PlanCalls(g, in_place).size());
  EXPECT_EQ(calls, static_cast<int64_t>(g.ops().size()) - 1);  // the add is fused into the projection
  // conv, dw, projection and classifier carry conv params; one add; one pool.
  EXPECT_EQ(f.graph_code_bytes, 7 + 4 * 52 + 48 + 16 + 100 * calls);
  // conv2d + pointwise fused_add share "Shared": counted once. The depthwise reads the residual
  // (two consumers), so it cannot run in place: its optimized-mode variant is dw_ref.
  EXPECT_EQ(f.runtime_code_bytes, 1000 + 10 + 30 + 45 + 60 + 70);
  EXPECT_EQ(f.Total(), data.Total() + f.graph_code_bytes + f.runtime_code_bytes);

  const FlashEstimate per_layer = EstimateFlash(g, PlanPerLayer(g), Code()).value();
  EXPECT_EQ(per_layer.runtime_code_bytes, 80 + 45 + 90 + 50 + 60 + 70);  // reference kernels, add unfused
}

TEST(EstimateFlash, PatchStagesPayPerPatchCall) {
  const core::Graph g = Tiny();
  const MemoryPlan patch = PlanPatch(g, {2, 1}).value();
  const FlashEstimate whole = EstimateFlash(g, PlanInPlace(g), Code()).value();
  const FlashEstimate patched = EstimateFlash(g, patch, Code()).value();
  EXPECT_EQ(patched.graph_code_bytes - whole.graph_code_bytes,
            100 * (static_cast<int64_t>(PlanCalls(g, patch).size()) -
                   static_cast<int64_t>(PlanCalls(g, PlanInPlace(g)).size())));
}

TEST(EstimateFlash, AKernelWithoutFiguresIsAnErrorNamingIt) {
  CodeSize code = Code();
  code.kernel_functions.erase("depthwise_conv2d");
  const core::Result<FlashEstimate> f = EstimateFlash(Tiny(), PlanInPlace(Tiny()), code);
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("no figure for kernel 'depthwise_conv2d'"), std::string::npos);
}

TEST(CodeSizeFile, CommittedFilesLoadAndRoundTrip) {
  for (const char* core : {"cortex-m4", "cortex-m7"}) {
    const std::string path = (kilonas::testing::SourcePath("hw_profiles/code_size/")) + core + ".json";
    const core::Result<CodeSize> code = LoadCodeSize(path);
    ASSERT_TRUE(code.ok()) << code.error().message;
    EXPECT_EQ(code.value().core, core);
    EXPECT_EQ(ParseCodeSize(CodeSizeToJson(code.value()), "x").value().function_bytes, code.value().function_bytes);
  }
  std::string text = CodeSizeToJson(Code());
  text.replace(text.find("\"conv\""), 6, "\"nope\"");
  EXPECT_NE(ParseCodeSize(text, "c.json").error().message.find("c.json: key 'kernel_functions."), std::string::npos)
      << ParseCodeSize(text, "c.json").error().message;
}

}  // namespace
}  // namespace kilonas::memory_planner
