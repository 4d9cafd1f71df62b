// Latency prediction of one subnet's deployed patch plan from the committed LUT: the search
// prices every candidate (the plan itself is built outside the loop).
#include <benchmark/benchmark.h>

#include "core/ofa_space.h"
#include "latency_models/predictor.h"
#include "memory_planner/patch_plan.h"

namespace {

using namespace kilonas;

void BM_PredictLargestFmnistSubnet(benchmark::State& state) {
  const core::OfaSpace space = core::FashionMnistSpace();
  const core::Graph graph = core::BuildSubnetGraph(space, core::LargestSubnet(space)).value();
  const latency_models::LatencyPredictor predictor(
      latency_models::LoadLut(KILONAS_SOURCE_DIR "/latency_models/luts/stm32f746.json").value());
  const memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(graph, memory_planner::PlanMode::kPatch);
  state.counters["calls"] = static_cast<double>(latency_models::ExecutedCalls(graph, plan).size());
  for (auto _ : state) benchmark::DoNotOptimize(predictor.Predict(graph, plan));
}
BENCHMARK(BM_PredictLargestFmnistSubnet)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
