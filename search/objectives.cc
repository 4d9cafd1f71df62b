#include "search/objectives.h"

#include <cmath>
#include <cstdio>

namespace kilonas::search {

const std::array<Objective, kNumObjectives>& Objectives() {
  static const std::array<Objective, kNumObjectives> kObjectives = {
      Objective{Constraint::kSram, "SRAM", "sram_bytes", "kB", 1024, 1, true, "--sram-kb",
                "SRAM budget for the arena (default: profile SRAM - reserved)", double(1 << 30), false, true,
                [](const Resources& r) { return static_cast<double>(r.sram_bytes); },
                [](const Budgets& b) { return static_cast<double>(b.sram_bytes); },
                [](Resources& r, double v) { r.sram_bytes = static_cast<int64_t>(v); },
                [](Budgets& b, double v) { b.sram_bytes = static_cast<int64_t>(v); },
                [](const core::HwProfile& hw) { return static_cast<double>(hw.SramBudget()); }},
      Objective{Constraint::kFlash, "flash", "flash_bytes", "kB", 1024, 1, true, "--flash-kb",
                "flash budget for the model (default: profile flash - reserved)", double(1 << 30), false, false,
                [](const Resources& r) { return static_cast<double>(r.flash_bytes); },
                [](const Budgets& b) { return static_cast<double>(b.flash_bytes); },
                [](Resources& r, double v) { r.flash_bytes = static_cast<int64_t>(v); },
                [](Budgets& b, double v) { b.flash_bytes = static_cast<int64_t>(v); },
                [](const core::HwProfile& hw) { return static_cast<double>(hw.FlashBudget()); }},
      Objective{Constraint::kLatency, "latency", "latency_ms", "ms", 1, 1, false, "--latency-ms",
                "latency budget (default: the config's, if any)", 1e9, true, true,
                [](const Resources& r) { return r.latency_ms; }, [](const Budgets& b) { return b.latency_ms; },
                [](Resources& r, double v) { r.latency_ms = v; }, [](Budgets& b, double v) { b.latency_ms = v; },
                [](const core::HwProfile&) { return 0.0; }},
  };
  return kObjectives;
}

const Objective& ObjectiveOf(Constraint c) { return Objectives().at(static_cast<size_t>(c)); }

std::string ConstraintName(Constraint c) { return ObjectiveOf(c).name; }

std::string FormatAmount(const Objective& o, double base) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f %s", o.decimals, base / o.base_per_unit, o.unit);
  return text;
}

std::string FormatBudget(const Objective& o, const Budgets& b) {
  return o.budget_optional && o.budget(b) <= 0 ? "none" : FormatAmount(o, o.budget(b));
}

std::string BudgetFlags() {
  std::string flags;
  for (const Objective& o : Objectives()) flags += (flags.empty() ? "" : ", ") + std::string(o.flag);
  return flags;
}

std::string ParetoObjectiveNames() {
  std::string names;
  for (const Objective& o : Objectives()) {
    if (o.pareto) names += (names.empty() ? "" : " and ") + std::string(o.name);
  }
  return names;
}

core::Result<Budgets> BudgetsFor(const core::HwProfile& hw, const BudgetOverrides& overrides) {
  Budgets b;
  for (const Objective& o : Objectives()) {
    const std::optional<double>& value = overrides[static_cast<size_t>(o.id)];
    if (value && !(std::isfinite(*value) && *value > 0 && *value <= o.max_budget)) {
      char text[160];
      std::snprintf(text, sizeof(text), "%s budget (%s) must be a finite number in (0, %.0f], got %g", o.name, o.unit,
                    o.max_budget, *value);
      return core::Error{text};
    }
    o.set_budget(b, value ? *value * o.base_per_unit : o.profile_budget(hw));
  }
  return b;
}

double Ratio(const Resources& r, const Budgets& b, Constraint c) {
  const Objective& o = ObjectiveOf(c);
  const double budget = o.budget(b);
  if (o.budget_optional && budget <= 0) return 0.0;
  return o.used(r) / budget;
}

std::optional<Constraint> WorstViolation(const Resources& r, const Budgets& b) {
  std::optional<Constraint> worst;
  double worst_ratio = 1.0;
  for (const Objective& o : Objectives()) {
    const double ratio = Ratio(r, b, o.id);
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      worst = o.id;
    }
  }
  return worst;
}

bool Dominates(double accuracy_a, const Resources& a, double accuracy_b, const Resources& b) {
  bool no_worse = accuracy_a >= accuracy_b, better = accuracy_a > accuracy_b;
  for (const Objective& o : Objectives()) {
    if (!o.pareto) continue;
    no_worse = no_worse && o.used(a) <= o.used(b);
    better = better || o.used(a) < o.used(b);
  }
  return no_worse && better;
}

}  // namespace kilonas::search
