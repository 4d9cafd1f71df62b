#include "search/shrink.h"

#include <cstdio>
#include <random>
#include <string>

namespace kilonas::search {
namespace {

// The largest choice below `value`, if any.
template <typename T>
std::optional<T> NextSmaller(const std::vector<T>& choices, T value) {
  std::optional<T> next;
  for (T c : choices) {
    if (c < value && (!next || c > *next) && !(value - c < 1e-9)) next = c;
  }
  return next;
}

// FNV-1a of the subnet's JSON: a seed that depends only on the subnet.
uint32_t SeedOf(const core::SubnetConfig& config) {
  uint32_t hash = 2166136261u;
  for (unsigned char ch : core::SubnetConfigToJson(config)) hash = (hash ^ ch) * 16777619u;
  return hash;
}

// Every one-step reduction of `config` within `choices`.
std::vector<core::SubnetConfig> Reductions(const core::SubnetConfig& config, const core::OfaSpace& choices) {
  std::vector<core::SubnetConfig> out;
  auto add = [&](auto change) {
    core::SubnetConfig smaller = config;
    change(smaller);
    out.push_back(std::move(smaller));
  };
  if (auto w = NextSmaller(choices.width_choices, config.width_mult))
    add([&](core::SubnetConfig& s) { s.width_mult = *w; });
  if (auto r = NextSmaller(choices.resolution_choices, config.resolution))
    add([&](core::SubnetConfig& s) { s.resolution = *r; });
  for (size_t s = 0; s < config.stages.size() && s < choices.stages.size(); ++s) {
    const int depth = static_cast<int>(config.stages[s].size());
    if (auto d = NextSmaller(choices.stages[s].depth_choices, depth)) {
      add([&](core::SubnetConfig& c) { c.stages[s].resize(static_cast<size_t>(*d)); });  // drops the last blocks
    }
    for (size_t b = 0; b < config.stages[s].size(); ++b) {
      const core::BlockChoice block = config.stages[s][b];
      if (auto k = NextSmaller(choices.kernel_choices, block.kernel))
        add([&](core::SubnetConfig& c) { c.stages[s][b].kernel = *k; });
      if (auto e = NextSmaller(choices.expand_choices, block.expand))
        add([&](core::SubnetConfig& c) { c.stages[s][b].expand = *e; });
    }
  }
  return out;
}

}  // namespace

core::Result<std::optional<Candidate>> ShrinkToFit(const ResourceModel& model, const Budgets& budgets, Candidate c,
                                                   const core::OfaSpace& choices) {
  std::mt19937 rng(SeedOf(c.config));
  while (WorstViolation(c.resources, budgets)) {
    const std::vector<core::SubnetConfig> steps = Reductions(c.config, choices);
    if (steps.empty()) return std::optional<Candidate>();
    c.config = steps[std::uniform_int_distribution<size_t>(0, steps.size() - 1)(rng)];
    core::Result<Resources> r = model.Measure(c.config);
    if (!r.ok()) return r.error();
    c.resources = r.value();
  }
  return std::optional<Candidate>(std::move(c));
}

core::Status SmallestFits(const ResourceModel& model, const Budgets& budgets) {
  core::Result<Resources> measured = model.Measure(core::SmallestSubnet(model.space()));
  if (!measured.ok()) return core::Status::Fail(measured.error().message);
  const Resources& smallest = measured.value();
  const std::optional<Constraint> worst = WorstViolation(smallest, budgets);
  if (!worst) return core::Status::Ok();
  const Objective& o = ObjectiveOf(*worst);
  return core::Status::Fail("infeasible budget: not even the smallest subnet of space '" + model.space().name +
                            "' fits; tightest constraint: " + o.name + " (the smallest subnet needs " +
                            FormatAmount(o, o.used(smallest)) + ", budget " + FormatBudget(o, budgets) + ")");
}

}  // namespace kilonas::search
