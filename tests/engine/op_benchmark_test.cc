// The profiling firmware and the calls it prices: the plan's calls are the engine's schedule,
// the committed LUTs are what a fresh profile measures (counts are exact), the board variant
// (-DKILONAS_DWT) builds.
#include "engine/op_benchmark.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <random>

#include "core/file_io.h"
#include "core/hw_profile.h"
#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "latency_models/lut.h"
#include "latency_models/op_key.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/random_graphs.h"
#include "tests/support/source_path.h"

namespace kilonas::engine {
namespace {

TEST(ExecutedCalls, AreTheSchedulesStepsInEveryModeOnRandomGraphs) {
  std::mt19937 rng(8);
  for (int trial = 0; trial < 30; ++trial) {
    const core::Graph g = testing::RandomGraph(rng);
    for (memory_planner::PlanMode mode :
         {memory_planner::PlanMode::kPerLayer, memory_planner::PlanMode::kInPlace, memory_planner::PlanMode::kPatch}) {
      const memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(g, mode);
      Model model;
      model.graph = g;
      const Schedule schedule = BuildSchedule(model, plan).value();
      const std::vector<latency_models::OpKey> calls = latency_models::ExecutedCalls(g, plan);
      ASSERT_EQ(calls.size(), schedule.steps.size()) << trial;
      for (size_t i = 0; i < calls.size(); ++i) {
        const Step& step = schedule.steps[i];
        const latency_models::OpKey& key = calls[i];
        EXPECT_EQ(key.kind, g.op(step.op).kind);
        EXPECT_EQ(KernelFor(key.kind, key.writes_over, key.kernels,
                            key.wide ? core::WeightLayout::kWide : core::WeightLayout::kInt8),
                  step.kernel)
            << key.ToString();
        EXPECT_EQ(key.out.h, step.rect.h) << key.ToString();
        EXPECT_EQ(key.out.w, step.rect.w) << key.ToString();
      }
    }
  }
}

TEST(OpBenchmark, CommittedLutEntriesEqualAFreshProfileOfSampledCalls) {
  for (const char* mcu : {"stm32f746", "stm32f412"}) {
    const core::HwProfile hw =
        core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/") + mcu + ".json").value();
    const latency_models::LatencyLut lut = latency_models::LoadLut(hw.latency_lut).value();
    std::vector<latency_models::OpKey> keys;
    for (const auto& [key, entry] : lut.entries) keys.push_back(key);
    std::sort(keys.begin(), keys.end());
    std::mt19937 rng(3);
    std::shuffle(keys.begin(), keys.end(), rng);
    keys.resize(12);
    std::vector<OpCase> cases;
    for (const auto& k : keys)
      cases.push_back({k.kind, k.kernel, k.stride, k.in, k.out, k.kernels, k.writes_over, k.wide});
    const core::Result<std::vector<uint64_t>> counts =
        RunOpBenchmark(cases, TargetFor(hw), KILONAS_SOURCE_DIR, std::string(KILONAS_TEST_OUT) + "/fresh_" + mcu);
    ASSERT_TRUE(counts.ok()) << counts.error().message;
    // Within one timer tick (40 instructions), the counter's resolution: the few instructions
    // between the tick edge and the call depend on how the compiler lays the case out among the
    // other cases of its batch.
    for (size_t i = 0; i < keys.size(); ++i) {
      const int64_t fresh = static_cast<int64_t>(counts.value()[i]);
      const int64_t committed = static_cast<int64_t>(lut.entries.at(keys[i]).instructions);
      EXPECT_LE(std::abs(fresh - committed), 40)
          << mcu << " " << keys[i].ToString() << ": fresh " << fresh << ", committed " << committed
          << ": the LUT is stale (re-profile with nas_profile --hw)";
    }
  }
}

TEST(OpBenchmark, BoardVariantWithTheDwtCounterBuildsAndUnlocksIt) {
  const std::vector<OpCase> cases = {
      {core::OpKind::kDepthwiseConv2d, 3, 1, {10, 10, 8}, {8, 8, 8}, core::KernelSet::kOptimized, true},
      {core::OpKind::kPointwiseConv2d, 1, 1, {8, 8, 8}, {8, 8, 16}, core::KernelSet::kReference, false}};
  const core::Result<OpBenchmarkSource> source = GenerateOpBenchmark(cases, 400);
  ASSERT_TRUE(source.ok()) << source.error().message;
  EXPECT_NE(source.value().c_source.find("DWT_LAR = 0xC5ACCE55u"), std::string::npos);
  EXPECT_NE(source.value().c_source.find("#define FIRST_INDEX 400u"), std::string::npos);
  const std::string dir = std::string(KILONAS_TEST_OUT) + "/dwt";
  ASSERT_TRUE(core::WriteFileAtomic(dir + "/op_benchmark.c", source.value().c_source).ok());
  for (const std::string& profile : {kilonas::testing::SourcePath("hw_profiles/stm32f746.json"),
                                     kilonas::testing::SourcePath("hw_profiles/stm32f412.json")}) {
    FirmwareTarget target = TargetFor(core::LoadHwProfile(profile).value());
    target.defines.push_back("KILONAS_DWT");
    const core::Result<FirmwareBuild> build = BuildFirmware(dir, target, KILONAS_SOURCE_DIR, {dir + "/op_benchmark.c"});
    EXPECT_TRUE(build.ok()) << profile << ": " << build.error().message;
  }
}

TEST(OpBenchmark, ACallNoTensorCanProduceIsAnError) {
  const core::Result<OpBenchmarkSource> source =
      GenerateOpBenchmark({{core::OpKind::kDepthwiseConv2d, 3, 1, {3, 3, 8}, {9, 9, 8}}});
  ASSERT_FALSE(source.ok());
  EXPECT_NE(source.error().message.find("no kernel call reads 3x3x8 and computes 9x9x8"), std::string::npos);
}

}  // namespace
}  // namespace kilonas::engine
