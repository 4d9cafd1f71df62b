#include "latency_models/weight_layouts.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "core/kernel_registry.h"
#include "memory_planner/patch_plan.h"
#include "memory_planner/plan_calls.h"

namespace kilonas::latency_models {
namespace {

struct Candidate {
  int op = 0;
  double cycles_saved = 0;
  int64_t extra_bytes = 0;
};

core::Graph WithWide(core::Graph graph, const std::vector<Candidate>& candidates, size_t count) {
  for (size_t i = 0; i < count; ++i) graph.mutable_op(candidates[i].op).weights = core::WeightLayout::kWide;
  return graph;
}

// Pointwise ops whose wide calls the LUT prices cheaper than their int8 ones, best first.
std::vector<Candidate> Candidates(const core::Graph& graph, const memory_planner::MemoryPlan& plan,
                                  const LatencyPredictor& predictor) {
  std::map<int, double> saved;
  std::set<int> unpriced;
  for (const memory_planner::PlannedCall& call : memory_planner::PlanCalls(graph, plan)) {
    if (!core::HasWideKernel(graph.op(call.op).kind, call.kernels)) continue;
    OpKey key = KeyOf(graph, call);
    bool int8_miss = false, wide_miss = false;
    const double int8 = predictor.Cycles(key, &int8_miss);
    key.wide = true;
    const double wide = predictor.Cycles(key, &wide_miss);
    if (int8_miss || wide_miss) unpriced.insert(call.op);
    saved[call.op] += int8 - wide;
  }
  std::vector<Candidate> candidates;
  for (const auto& [index, cycles] : saved) {
    if (unpriced.count(index) || cycles <= 0) continue;
    const core::Op& op = graph.op(index);
    const int cin = graph.InputOf(op).shape.c;
    const auto scratch = [&](core::WeightLayout layout) {
      return core::ScratchBytes(op.kind, 1, 0, core::KernelSet::kOptimized, false, 1, 1, cin, layout);
    };
    if (scratch(core::WeightLayout::kWide) > scratch(core::WeightLayout::kInt8)) continue;  // never more SRAM
    const int64_t extra = memory_planner::OpDataFlash(graph, op, core::KernelSet::kOptimized, true).Total() -
                          memory_planner::OpDataFlash(graph, op, core::KernelSet::kOptimized, false).Total();
    candidates.push_back({index, cycles, extra});
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return a.cycles_saved * static_cast<double>(b.extra_bytes) > b.cycles_saved * static_cast<double>(a.extra_bytes);
  });
  return candidates;
}

}  // namespace

LaidOutGraph ChooseWeightLayouts(core::Graph graph, memory_planner::PlanMode mode, const memory_planner::CodeSize& code,
                                 const LatencyPredictor& predictor, int64_t flash_budget) {
  graph = core::WithPointwiseWeights(std::move(graph), core::WeightLayout::kInt8);
  // Layouts change scratch sizes, not the calls: one plan prices and counts every choice.
  memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(graph, mode);
  if (memory_planner::KernelsOf(mode) == core::KernelSet::kReference) return {std::move(graph), std::move(plan)};
  const std::vector<Candidate> candidates = Candidates(graph, plan, predictor);
  const auto fits = [&](size_t count) {
    const core::Result<memory_planner::FlashEstimate> flash =
        memory_planner::EstimateFlash(WithWide(graph, candidates, count), plan, code);
    return flash.ok() && flash.value().Total() <= flash_budget;
  };
  // The flash grows with every layer taken: the longest prefix that fits, by bisection.
  size_t lo = 0, hi = candidates.size();
  while (lo < hi) {
    const size_t mid = (lo + hi + 1) / 2;
    if (fits(mid)) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  // A plan of the chosen layouts may differ (patch sizes follow scratch sizes): check with it.
  for (; lo > 0; --lo) {
    core::Graph chosen = WithWide(graph, candidates, lo);
    memory_planner::MemoryPlan chosen_plan = memory_planner::PlanDeployed(chosen, mode);
    const core::Result<memory_planner::FlashEstimate> flash = memory_planner::EstimateFlash(chosen, chosen_plan, code);
    if (flash.ok() && flash.value().Total() <= flash_budget) return {std::move(chosen), std::move(chosen_plan)};
  }
  return {std::move(graph), std::move(plan)};
}

}  // namespace kilonas::latency_models
