// The resource objectives of the search, as data. Each entry says what the objective is called,
// the unit it is shown and given in, how a candidate's value and its budget are read, where the
// profile's default budget comes from, its key in the search state and the report, nas_search's
// flag, and whether a multi-objective (--pareto) search trades accuracy against it.
//
// Budgets, violation ratios, the tightest constraint, Pareto dominance, the search state's
// checks, the report's budget line and JSON and nas_search's budget flags all loop over
// Objectives(). A new objective is one entry here, a field in Resources and in Budgets, and its
// model in ResourceModel::MeasureGraph (docs/extending.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "core/hw_profile.h"
#include "core/status.h"

namespace kilonas::search {

struct Budgets {
  int64_t sram_bytes = 0;   // for the arena (profile SRAM minus reserved)
  int64_t flash_bytes = 0;  // for the model (profile flash minus reserved)
  double latency_ms = 0;    // 0: no latency constraint
};

struct Resources {
  int64_t sram_bytes = 0;  // planned arena, input counted
  int64_t flash_bytes = 0;
  double latency_ms = 0;   // LUT-priced kernel calls of the deployed plan
  int latency_misses = 0;  // of those calls, priced by the LUT's fallback model
  int64_t macs = 0;
};

// Indexes Objectives(), in its order.
enum class Constraint { kSram, kFlash, kLatency };
inline constexpr size_t kNumObjectives = 3;

struct Objective {
  Constraint id;
  const char* name;      // in messages and reports: "SRAM"
  const char* key;       // of the value in the search state and the report's budgets: "sram_bytes"
  const char* unit;      // shown and given in: "kB"
  double base_per_unit;  // base units (bytes, ms) per shown unit
  int decimals;          // shown with
  bool integral;         // the value is a whole number of base units (bytes)
  const char* flag;      // nas_search's budget override, in `unit`
  const char* flag_help;
  double max_budget;     // largest override, in `unit`
  bool budget_optional;  // a budget of 0 means unconstrained
  bool pareto;           // traded against accuracy by a multi-objective search
  double (*used)(const Resources&);
  double (*budget)(const Budgets&);
  void (*set_used)(Resources&, double);
  void (*set_budget)(Budgets&, double);
  double (*profile_budget)(const core::HwProfile&);  // the default budget; 0 for none
};

const std::array<Objective, kNumObjectives>& Objectives();
const Objective& ObjectiveOf(Constraint c);
std::string ConstraintName(Constraint c);

// `base` (bytes, ms) in the objective's unit: "283.6 kB", "12.34 ms".
std::string FormatAmount(const Objective& o, double base);
// The budget as a report shows it: its amount, or "none" for an unconstrained optional budget.
std::string FormatBudget(const Objective& o, const Budgets& b);
// Every budget flag, for error messages: "--sram-kb, --flash-kb, --latency-ms".
std::string BudgetFlags();
// The objectives a Pareto search weighs, for messages: "SRAM and latency".
std::string ParetoObjectiveNames();

// Budget overrides in each objective's unit, indexed by Constraint; nullopt keeps the profile's.
using BudgetOverrides = std::array<std::optional<double>, kNumObjectives>;

// Budgets of a profile with the overrides. An override must be a finite number > 0 and at most
// the objective's max_budget: the error names it.
core::Result<Budgets> BudgetsFor(const core::HwProfile& hw, const BudgetOverrides& overrides);

double Ratio(const Resources& r, const Budgets& b, Constraint c);  // used / budget; 0 when unconstrained
// The constraint a candidate violates most (largest used/budget ratio), or none.
std::optional<Constraint> WorstViolation(const Resources& r, const Budgets& b);
// a is no worse than b in accuracy and every Pareto objective, and better in one.
bool Dominates(double accuracy_a, const Resources& a, double accuracy_b, const Resources& b);

}  // namespace kilonas::search
