// Latency prediction of one subnet from the committed LUT: the search prices every candidate.
#include <benchmark/benchmark.h>

#include "core/ofa_space.h"
#include "latency_models/predictor.h"

namespace {

using namespace kilonas;

void BM_PredictLargestFmnistSubnet(benchmark::State& state) {
  const core::OfaSpace space = core::FashionMnistSpace();
  const core::Graph graph = core::BuildSubnetGraph(space, core::LargestSubnet(space)).value();
  const latency_models::LatencyPredictor predictor(latency_models::LoadLut(KILONAS_SOURCE_DIR "/latency_models/luts/stm32f746.json").value());
  state.counters["ops"] = static_cast<double>(graph.ops().size());
  for (auto _ : state) benchmark::DoNotOptimize(predictor.Predict(graph));
}
BENCHMARK(BM_PredictLargestFmnistSubnet)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
