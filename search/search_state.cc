#include "search/search_state.h"

#include <cmath>
#include <set>

#include "core/checked_file.h"

namespace kilonas::search {
namespace {

const char* kRemedy = "use --restart to start over";

// A value as the search state stores it.
std::string ValueText(const Objective& o, double value) {
  return o.integral ? std::to_string(static_cast<int64_t>(value)) : std::to_string(value);
}

core::Status KeyError(const std::string& key, const std::string& problem) {
  return core::Status::Fail("key '" + key + "': " + problem);
}

core::Status CheckCandidate(const Candidate& c, const std::string& key, const core::OfaSpace& sub,
                            const ResourceModel& model) {
  if (core::Status s = core::ValidateSubnet(sub, c.config); !s.ok()) {
    return KeyError(key + ".subnet", s.message() + " (not a subnet of the chosen sub-space)");
  }
  if (!std::isfinite(c.accuracy) || c.accuracy < 0 || c.accuracy > 1) {
    return KeyError(key + ".accuracy", std::to_string(c.accuracy) + " is not in [0, 1]");
  }
  core::Result<Resources> measured = model.Measure(c.config);
  if (!measured.ok()) return KeyError(key + ".subnet", measured.error().message);
  const Resources& m = measured.value();
  const Resources& r = c.resources;
  const auto differs = [&](const char* field, const std::string& saved, const std::string& now) {
    return KeyError(key + "." + field, saved + ", but this profile and execution mode give " + now);
  };
  for (const Objective& o : Objectives()) {
    if (o.used(r) != o.used(m)) return differs(o.key, ValueText(o, o.used(r)), ValueText(o, o.used(m)));
  }
  if (r.latency_misses != m.latency_misses) {
    return differs("latency_lut_misses", std::to_string(r.latency_misses), std::to_string(m.latency_misses));
  }
  if (r.macs != m.macs) return differs("macs", std::to_string(r.macs), std::to_string(m.macs));
  return core::Status::Ok();
}

core::Status CheckSpaces(const std::vector<SpaceChoice>& spaces, const core::OfaSpace& space, int stage1_samples) {
  if (spaces.empty()) return KeyError("spaces", "empty (stage 1 ranks every width and resolution of the space)");
  std::set<std::pair<double, int>> seen;
  for (size_t i = 0; i < spaces.size(); ++i) {
    const SpaceChoice& c = spaces[i];
    const std::string key = "spaces[" + std::to_string(i) + "]";
    const auto& widths = space.width_choices;
    const auto& resolutions = space.resolution_choices;
    if (std::find(widths.begin(), widths.end(), c.width) == widths.end()) {
      return KeyError(key + ".width", std::to_string(c.width) + " is not a width of space '" + space.name + "'");
    }
    if (std::find(resolutions.begin(), resolutions.end(), c.resolution) == resolutions.end()) {
      return KeyError(key + ".resolution",
                      std::to_string(c.resolution) + " is not a resolution of space '" + space.name + "'");
    }
    if (!seen.insert({c.width, c.resolution}).second) return KeyError(key, "listed twice");
    if (c.samples != stage1_samples) {
      return KeyError(key + ".samples",
                      std::to_string(c.samples) + ", the config's stage1_samples is " + std::to_string(stage1_samples));
    }
    if (c.feasible < 0 || c.feasible > c.samples) return KeyError(key + ".feasible", "not in [0, samples]");
    if (!std::isfinite(c.mean_feasible_macs) || c.mean_feasible_macs < 0) {
      return KeyError(key + ".mean_feasible_macs", "not a finite number >= 0");
    }
  }
  if (seen.size() != space.width_choices.size() * space.resolution_choices.size()) {
    return KeyError("spaces", std::to_string(seen.size()) + " sub-spaces, stage 1 ranks " +
                                  std::to_string(space.width_choices.size() * space.resolution_choices.size()));
  }
  if (!ChooseSpace(spaces))
    return KeyError("spaces", "no sub-space has a feasible sample, yet the evolution ran in one");
  return core::Status::Ok();
}

core::Status CheckEvolution(const EvolutionState& e, const core::OfaSpace& sub, const ResourceModel& model,
                            const EvolutionConfig& config) {
  if (e.generation < 0 || e.generation > config.generations) {
    return KeyError("generation", std::to_string(e.generation) + " is not in [0, " +
                                      std::to_string(config.generations) + "] (the config's generations)");
  }
  if (core::Result<std::mt19937> rng = ParseRngState(e.rng); !rng.ok()) return KeyError("rng", rng.error().message);
  const EvolutionResult& r = e.result;
  if (static_cast<int>(r.population.size()) != config.population) {
    return KeyError("population", std::to_string(r.population.size()) + " candidates, the config's population is " +
                                      std::to_string(config.population));
  }
  if (r.log.size() != static_cast<size_t>(e.generation) + 1) {
    return KeyError("log", std::to_string(r.log.size()) + " entries for generation " + std::to_string(e.generation) +
                               " (one per generation from 0)");
  }
  if (r.evaluated.size() < r.population.size()) return KeyError("evaluated", "fewer candidates than the population");
  for (const auto& [key, list] : {std::pair{"population", &r.population}, std::pair{"evaluated", &r.evaluated}}) {
    for (size_t i = 0; i < list->size(); ++i) {
      const std::string at = std::string(key) + "[" + std::to_string(i) + "]";
      if (core::Status s = CheckCandidate((*list)[i], at, sub, model); !s.ok()) return s;
    }
  }
  for (size_t i = 0; i < r.log.size(); ++i) {
    const std::string at = "log[" + std::to_string(i) + "]";
    if (r.log[i].generation != static_cast<int>(i))
      return KeyError(at + ".generation", "expected " + std::to_string(i));
    if (core::Status s = CheckCandidate(r.log[i].best, at + ".best", sub, model); !s.ok()) return s;
  }
  return core::Status::Ok();
}

}  // namespace

core::Status ValidateSearchState(const SearchState& state, const ResourceModel& full_model,
                                 const EvolutionConfig& config, int stage1_samples) {
  const core::OfaSpace& space = full_model.space();
  if (core::Status s = CheckSpaces(state.spaces, space, stage1_samples); !s.ok()) return s;
  const SpaceChoice& chosen = *ChooseSpace(state.spaces);
  core::OfaSpace sub = space;
  sub.width_choices = {chosen.width};
  sub.resolution_choices = {chosen.resolution};
  return CheckEvolution(state.evolution, sub, full_model, config);
}

core::Status SaveSearchState(const std::string& path, const SearchState& state) {
  return core::WriteChecked(path, SearchStateToJson(state), {{"kind", "search state"}});
}

core::Result<SearchState> LoadSearchState(const std::string& path) {
  core::Result<std::string> text = core::ReadChecked(path, {{"kind", "search state"}}, kRemedy);
  if (!text.ok()) return text.error();
  return ParseSearchState(text.value(), path);
}

}  // namespace kilonas::search
