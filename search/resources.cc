#include "search/resources.h"

#include "memory_planner/flash.h"
#include "memory_planner/patch_plan.h"

namespace kilonas::search {

ResourceModel::ResourceModel(core::OfaSpace space, memory_planner::PlanMode mode, memory_planner::CodeSize code,
                             std::optional<latency_models::LatencyPredictor> latency, int64_t wide_flash_budget)
    : space_(std::move(space)),
      mode_(mode),
      code_(std::move(code)),
      latency_(std::move(latency)),
      wide_flash_budget_(wide_flash_budget) {}

latency_models::LaidOutGraph ResourceModel::Deployed(core::Graph graph) const {
  if (latency_ && wide_flash_budget_ > 0) {
    return latency_models::ChooseWeightLayouts(std::move(graph), mode_, code_, *latency_, wide_flash_budget_);
  }
  memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(graph, mode_);
  return {std::move(graph), std::move(plan)};
}

core::Result<Resources> ResourceModel::Measure(const core::SubnetConfig& config) const {
  core::Result<core::Graph> graph = core::BuildSubnetGraph(space_, config);
  if (!graph.ok()) return graph.error();
  return MeasureGraph(graph.value());
}

core::Result<Resources> ResourceModel::MeasureGraph(const core::Graph& graph) const {
  const latency_models::LaidOutGraph deployed = Deployed(graph);
  const core::Graph& g = deployed.graph;
  const memory_planner::MemoryPlan& plan = deployed.plan;
  Resources r;
  r.macs = g.TotalMacs();
  const core::Result<memory_planner::FlashEstimate> flash = memory_planner::EstimateFlash(g, plan, code_);
  if (!flash.ok()) return flash.error();
  r.flash_bytes = flash.value().Total();
  r.sram_bytes = plan.arena_bytes;
  if (latency_) {
    const latency_models::LatencyPrediction latency = latency_->Predict(g, plan);
    r.latency_ms = latency.ms;
    r.latency_misses = latency.misses;
  }
  return r;
}

}  // namespace kilonas::search
