#include "search/resources.h"

#include <cmath>
#include <cstdio>
#include <tuple>

#include "memory_planner/flash.h"
#include "memory_planner/patch_plan.h"

namespace kilonas::search {

core::Result<Budgets> BudgetsFor(const core::HwProfile& hw, std::optional<double> sram_kb,
                                 std::optional<double> flash_kb, std::optional<double> latency_ms) {
  for (const auto& [name, value, limit] : {std::tuple{"SRAM budget (kB)", sram_kb, double(1 << 30)},
                                           std::tuple{"flash budget (kB)", flash_kb, double(1 << 30)},
                                           std::tuple{"latency budget (ms)", latency_ms, 1e9}}) {
    if (value && !(std::isfinite(*value) && *value > 0 && *value <= limit)) {
      char text[160];
      std::snprintf(text, sizeof(text), "%s must be a finite number in (0, %.0f], got %g", name, limit, *value);
      return core::Error{text};
    }
  }
  Budgets b;
  b.sram_bytes = sram_kb ? static_cast<int64_t>(*sram_kb * 1024) : hw.SramBudget();
  b.flash_bytes = flash_kb ? static_cast<int64_t>(*flash_kb * 1024) : hw.FlashBudget();
  b.latency_ms = latency_ms.value_or(0.0);
  return b;
}

std::string ConstraintName(Constraint c) {
  switch (c) {
    case Constraint::kSram:
      return "SRAM";
    case Constraint::kFlash:
      return "flash";
    case Constraint::kLatency:
      return "latency";
  }
  return "?";
}

double Ratio(const Resources& r, const Budgets& b, Constraint c) {
  switch (c) {
    case Constraint::kSram:
      return static_cast<double>(r.sram_bytes) / static_cast<double>(b.sram_bytes);
    case Constraint::kFlash:
      return static_cast<double>(r.flash_bytes) / static_cast<double>(b.flash_bytes);
    case Constraint::kLatency:
      return b.latency_ms > 0 ? r.latency_ms / b.latency_ms : 0.0;
  }
  return 0.0;
}

std::optional<Constraint> WorstViolation(const Resources& r, const Budgets& b) {
  std::optional<Constraint> worst;
  double worst_ratio = 1.0;
  for (Constraint c : {Constraint::kSram, Constraint::kFlash, Constraint::kLatency}) {
    const double ratio = Ratio(r, b, c);
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = c;
    }
  }
  return worst;
}

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
