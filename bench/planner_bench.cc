// Planner hot paths. The search plans every candidate, thousands of times per run: planning a
// ~60-op graph must take well under a millisecond.
#include <benchmark/benchmark.h>

#include "core/ofa_space.h"
#include "core/reference_nets.h"
#include "memory_planner/flash.h"
#include "memory_planner/memory_plan.h"
#include "memory_planner/patch_plan.h"

namespace {

using namespace kilonas;

const core::Graph& Mbv2() {  // 64 ops
  static const core::Graph graph = core::BuildGraph(core::MobileNetV2(0.35, 144)).value();
  return graph;
}

void BM_BuildSubnetGraph(benchmark::State& state) {
  const core::OfaSpace space = core::McunetImageNetSpace();
  const core::SubnetConfig config = core::LargestSubnet(space);
  for (auto _ : state) benchmark::DoNotOptimize(core::BuildSubnetGraph(space, config));
}
BENCHMARK(BM_BuildSubnetGraph)->Unit(benchmark::kMicrosecond);

void BM_PlanPerLayer(benchmark::State& state) {
  state.counters["ops"] = static_cast<double>(Mbv2().ops().size());
  for (auto _ : state) benchmark::DoNotOptimize(memory_planner::PlanPerLayer(Mbv2()));
}
BENCHMARK(BM_PlanPerLayer)->Unit(benchmark::kMicrosecond);

void BM_PlanInPlace(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(memory_planner::PlanInPlace(Mbv2()));
}
BENCHMARK(BM_PlanInPlace)->Unit(benchmark::kMicrosecond);

void BM_PlanPatchFixed(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(memory_planner::PlanPatch(Mbv2(), {4, 13}));
}
BENCHMARK(BM_PlanPatchFixed)->Unit(benchmark::kMicrosecond);

void BM_PlanBestPatch(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(memory_planner::PlanBestPatch(Mbv2()));
}
BENCHMARK(BM_PlanBestPatch)->Unit(benchmark::kMillisecond);

void BM_EstimateFlash(benchmark::State& state) {
  const memory_planner::MemoryPlan plan = memory_planner::PlanInPlace(Mbv2());
  const memory_planner::CodeSize code =
      memory_planner::LoadCodeSize(KILONAS_SOURCE_DIR "/hw_profiles/code_size/cortex-m7.json").value();
  for (auto _ : state) benchmark::DoNotOptimize(memory_planner::EstimateFlash(Mbv2(), plan, code));
}
BENCHMARK(BM_EstimateFlash)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
