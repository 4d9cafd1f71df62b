#include "search/evolution.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <map>
#include <sstream>

#include "search/shrink.h"

namespace kilonas::search {
namespace {

template <typename T>
T Pick(const std::vector<T>& v, std::mt19937& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}

bool Chance(double p, std::mt19937& rng) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; }

}  // namespace

core::SubnetConfig Mutate(const core::OfaSpace& space, const core::SubnetConfig& parent, double p, std::mt19937& rng) {
  core::SubnetConfig child = parent;
  if (Chance(p, rng)) child.resolution = Pick(space.resolution_choices, rng);
  if (Chance(p, rng)) child.width_mult = Pick(space.width_choices, rng);
  for (size_t s = 0; s < child.stages.size(); ++s) {
    if (Chance(p, rng)) {
      const size_t depth = static_cast<size_t>(Pick(space.stages[s].depth_choices, rng));
      while (child.stages[s].size() < depth) {
        child.stages[s].push_back({Pick(space.kernel_choices, rng), Pick(space.expand_choices, rng)});
      }
      child.stages[s].resize(depth);
    }
    for (core::BlockChoice& b : child.stages[s]) {
      if (Chance(p, rng)) b.kernel = Pick(space.kernel_choices, rng);
      if (Chance(p, rng)) b.expand = Pick(space.expand_choices, rng);
    }
  }
  return child;
}

core::SubnetConfig Crossover(const core::OfaSpace& space, const core::SubnetConfig& a, const core::SubnetConfig& b,
                             std::mt19937& rng) {
  core::SubnetConfig child = a;
  if (Chance(0.5, rng)) child.resolution = b.resolution;
  if (Chance(0.5, rng)) child.width_mult = b.width_mult;
  for (size_t s = 0; s < child.stages.size(); ++s) {
    const size_t depth = Chance(0.5, rng) ? a.stages[s].size() : b.stages[s].size();
    std::vector<core::BlockChoice> blocks;
    for (size_t i = 0; i < depth; ++i) {
      const bool in_a = i < a.stages[s].size(), in_b = i < b.stages[s].size();
      if (in_a && in_b) {
        blocks.push_back(Chance(0.5, rng) ? a.stages[s][i] : b.stages[s][i]);
      } else {
        blocks.push_back(in_a   ? a.stages[s][i]
                         : in_b ? b.stages[s][i]
                                : core::BlockChoice{Pick(space.kernel_choices, rng), Pick(space.expand_choices, rng)});
      }
    }
    child.stages[s] = std::move(blocks);
  }
  return child;
}

core::Result<std::vector<Candidate>> DrawFeasible(const ResourceModel& model, const Budgets& budgets, int count,
                                                  int attempts, const std::function<core::SubnetConfig()>& draw) {
  if (core::Status fits = SmallestFits(model, budgets); !fits.ok()) return fits.error();
  std::vector<Candidate> feasible, violating;
  const auto wanted = static_cast<size_t>(count);
  int drawn = 0;
  const int batch_size = 32;
  // Rejection first; the first violating draws are kept to be shrunk if it does not find enough.
  while (feasible.size() < wanted && (drawn < attempts || feasible.size() + violating.size() < wanted)) {
    std::vector<Candidate> batch(static_cast<size_t>(drawn < attempts ? std::min(batch_size, attempts - drawn) : 1));
    for (Candidate& c : batch) c.config = draw();  // sequential: deterministic RNG use
    drawn += static_cast<int>(batch.size());
    std::vector<core::Status> status(batch.size());
#pragma omp parallel for schedule(dynamic)
    for (size_t i = 0; i < batch.size(); ++i) {
      core::Result<Resources> r = model.Measure(batch[i].config);
      status[i] = r.status();
      if (r.ok()) batch[i].resources = r.value();
    }
    for (size_t i = 0; i < batch.size() && feasible.size() < wanted; ++i) {
      if (!status[i].ok()) return status[i].error();
      std::vector<Candidate>& into = WorstViolation(batch[i].resources, budgets) ? violating : feasible;
      if (feasible.size() + violating.size() < wanted || &into == &feasible) into.push_back(batch[i]);
    }
  }
  if (feasible.size() >= wanted) return feasible;
  violating.resize(wanted - feasible.size());
  std::vector<core::Result<std::optional<Candidate>>> shrunk(violating.size(), core::Error{""});
#pragma omp parallel for schedule(dynamic)
  for (size_t i = 0; i < violating.size(); ++i) shrunk[i] = ShrinkToFit(model, budgets, violating[i], model.space());
  for (const auto& s : shrunk) {
    if (!s.ok()) return s.error();
    // Cannot happen: the smallest subnet fits and shrinking ends there.
    if (!s.value()) return core::Error{"a subnet could not be shrunk to fit although the smallest subnet fits"};
    feasible.push_back(*s.value());
  }
  return feasible;
}

core::Result<std::vector<SpaceChoice>> RankSpaces(const ResourceModel& model, const Budgets& budgets, int samples,
                                                  std::mt19937& rng, bool shrink_to_fit) {
  const core::OfaSpace& space = model.space();
  std::vector<SpaceChoice> choices;
  for (double width : space.width_choices) {
    for (int resolution : space.resolution_choices) {
      SpaceChoice choice{width, resolution, samples, 0, 0};
      std::vector<Candidate> drawn(static_cast<size_t>(samples));
      for (Candidate& c : drawn) {
        c.config = core::SampleSubnet(space, rng);
        c.config.width_mult = width;
        c.config.resolution = resolution;
      }
      // Statuses collected: nothing may throw out of the parallel loop.
      std::vector<core::Status> status(drawn.size());
#pragma omp parallel for schedule(dynamic)
      for (size_t i = 0; i < drawn.size(); ++i) {
        core::Result<Resources> r = model.Measure(drawn[i].config);
        status[i] = r.status();
        if (r.ok()) drawn[i].resources = r.value();
      }
      for (const core::Status& s : status) {
        if (!s.ok()) return s.error();
      }
      if (shrink_to_fit) {
        core::OfaSpace sub = space;
        sub.width_choices = {width};
        sub.resolution_choices = {resolution};
        choice.shrunk = true;
        const core::Result<Resources> smallest = model.Measure(core::SmallestSubnet(sub));
        if (!smallest.ok()) return smallest.error();
        if (!WorstViolation(smallest.value(), budgets)) {
#pragma omp parallel for schedule(dynamic)
          for (size_t i = 0; i < drawn.size(); ++i) {
            const auto fitted = ShrinkToFit(model, budgets, drawn[i], sub);
            status[i] = fitted.status();
            if (fitted.ok() && fitted.value()) drawn[i] = *fitted.value();
          }
          for (const core::Status& s : status) {
            if (!s.ok()) return s.error();
          }
        }
      }
      double macs = 0;
      for (const Candidate& c : drawn) {
        if (WorstViolation(c.resources, budgets)) continue;
        ++choice.feasible;
        macs += static_cast<double>(c.resources.macs);
      }
      choice.mean_feasible_macs = choice.feasible ? macs / choice.feasible : 0;
      choices.push_back(choice);
    }
  }
  std::stable_sort(choices.begin(), choices.end(), [](const SpaceChoice& a, const SpaceChoice& b) {
    return a.mean_feasible_macs > b.mean_feasible_macs;
  });
  return choices;
}

const SpaceChoice* ChooseSpace(const std::vector<SpaceChoice>& ranked, double min_feasible_fraction) {
  const SpaceChoice* fallback = nullptr;
  for (const SpaceChoice& s : ranked) {
    if (s.feasible == 0) continue;
    if (s.feasible >= min_feasible_fraction * s.samples) return &s;
    if (!fallback) fallback = &s;
  }
  return fallback;
}

core::Result<std::mt19937> ParseRngState(const std::string& text) {
  std::istringstream in(text);
  std::mt19937 rng;
  in >> rng;
  if (in.fail() || !(in >> std::ws).eof()) return core::Error{"not a complete random-number-generator state"};
  return rng;
}

BatchAccuracyFn OneByOne(AccuracyFn accuracy) {
  return [accuracy = std::move(accuracy)](const std::vector<core::SubnetConfig>& configs) {
    std::vector<double> out;
    for (const core::SubnetConfig& c : configs) out.push_back(accuracy(c));
    return out;
  };
}

namespace {

// Scores `candidates` in one batch and records them as evaluated.
void Score(std::vector<Candidate>& candidates, const BatchAccuracyFn& accuracy, EvolutionResult& result) {
  std::vector<core::SubnetConfig> configs;
  for (const Candidate& c : candidates) configs.push_back(c.config);
  const std::vector<double> accuracies = accuracy(configs);
  for (size_t i = 0; i < candidates.size(); ++i) {
    candidates[i].accuracy = accuracies.at(i);
    result.evaluated.push_back(candidates[i]);
  }
}

bool MoreAccurate(const Candidate& a, const Candidate& b) { return a.accuracy > b.accuracy; }

// Parents first: by accuracy, or by Pareto rank with accuracy order within a rank (stable).
void SelectionOrder(std::vector<Candidate>& candidates, bool multi_objective) {
  std::stable_sort(candidates.begin(), candidates.end(), MoreAccurate);
  if (!multi_objective) return;
  const std::vector<int> ranks = ParetoRanks(candidates);
  std::vector<size_t> index(candidates.size());
  for (size_t i = 0; i < index.size(); ++i) index[i] = i;
  std::stable_sort(index.begin(), index.end(), [&](size_t a, size_t b) { return ranks[a] < ranks[b]; });
  std::vector<Candidate> sorted;
  for (size_t i : index) sorted.push_back(candidates[i]);
  candidates = std::move(sorted);
}

// Logs the generation and hands its state (with the random stream's) to `on_generation`.
void RecordGeneration(int generation, const std::vector<Candidate>& population, std::mt19937& rng,
                      EvolutionResult& result, const std::function<void(const EvolutionState&)>& on_generation) {
  const Candidate best =
      *std::max_element(population.begin(), population.end(),
                        [](const Candidate& a, const Candidate& b) { return a.accuracy < b.accuracy; });
  GenerationLog log{generation, best.accuracy, 0, best};
  for (const Candidate& c : population) log.mean_accuracy += c.accuracy / static_cast<double>(population.size());
  result.log.push_back(log);
  if (!on_generation) return;
  std::ostringstream rng_state;
  rng_state << rng;
  result.population = population;
  on_generation(EvolutionState{generation, result, rng_state.str()});
}

// The next generation's children of `elite`, feasible and scored: mutations, then crossovers.
core::Result<std::vector<Candidate>> Children(const ResourceModel& model, const Budgets& budgets,
                                              const std::vector<Candidate>& elite, const EvolutionConfig& config,
                                              std::mt19937& rng, const BatchAccuracyFn& accuracy,
                                              EvolutionResult& result) {
  const core::OfaSpace& space = model.space();
  const int parents = std::max(2, static_cast<int>(config.population * config.parent_ratio));
  const int children = config.population - parents;
  const int mutations = static_cast<int>(children * config.mutation_ratio);
  core::Result<std::vector<Candidate>> mutated =
      DrawFeasible(model, budgets, mutations, config.max_attempts * std::max(1, mutations),
                   [&] { return Mutate(space, Pick(elite, rng).config, config.mutation_probability, rng); });
  if (!mutated.ok()) return mutated.error();
  core::Result<std::vector<Candidate>> crossed =
      DrawFeasible(model, budgets, children - mutations, config.max_attempts * std::max(1, children - mutations),
                   [&] { return Crossover(space, Pick(elite, rng).config, Pick(elite, rng).config, rng); });
  if (!crossed.ok()) return crossed.error();
  Score(mutated.value(), accuracy, result);
  Score(crossed.value(), accuracy, result);
  std::vector<Candidate> all = std::move(mutated).value();
  all.insert(all.end(), crossed.value().begin(), crossed.value().end());
  return all;
}

}  // namespace

core::Result<EvolutionResult> Evolve(const ResourceModel& model, const Budgets& budgets,
                                     const BatchAccuracyFn& accuracy, const EvolutionConfig& config, std::mt19937& rng,
                                     const std::function<void(const EvolutionState&)>& on_generation,
                                     const EvolutionState* resume) {
  EvolutionResult result;
  std::vector<Candidate> population;
  int generation = 0;
  if (resume) {
    result = resume->result;
    population = resume->result.population;
    generation = resume->generation;
  } else {
    core::Result<std::vector<Candidate>> initial =
        DrawFeasible(model, budgets, config.population, config.max_attempts * config.population,
                     [&] { return core::SampleSubnet(model.space(), rng); });
    if (!initial.ok()) return initial.error();
    population = std::move(initial).value();
    Score(population, accuracy, result);
  }
  const int parents = std::max(2, static_cast<int>(config.population * config.parent_ratio));
  for (bool resumed_step = resume != nullptr;; ++generation, resumed_step = false) {
    SelectionOrder(population, config.multi_objective);
    // A resumed generation was logged before the interruption.
    if (!resumed_step) RecordGeneration(generation, population, rng, result, on_generation);
    if (generation >= config.generations) break;
    population.resize(static_cast<size_t>(std::min<int>(parents, static_cast<int>(population.size()))));
    core::Result<std::vector<Candidate>> children = Children(model, budgets, population, config, rng, accuracy, result);
    if (!children.ok()) return children.error();
    population.insert(population.end(), children.value().begin(), children.value().end());
  }
  // Best first by accuracy for the caller (the winner), whatever the selection order was.
  std::stable_sort(population.begin(), population.end(), MoreAccurate);
  result.population = std::move(population);
  return result;
}

namespace {

bool Dominates(const Candidate& a, const Candidate& b) {
  return search::Dominates(a.accuracy, a.resources, b.accuracy, b.resources);
}

}  // namespace

std::vector<int> ParetoRanks(const std::vector<Candidate>& candidates) {
  std::vector<int> rank(candidates.size(), -1);
  size_t assigned = 0;
  for (int r = 0; assigned < candidates.size(); ++r) {
    std::vector<size_t> front;
    for (size_t i = 0; i < candidates.size(); ++i) {
      if (rank[i] >= 0) continue;
      bool dominated = false;
      // Dominated by a candidate not ranked before this round: not in this front.
      for (size_t j = 0; j < candidates.size() && !dominated; ++j) {
        dominated = rank[j] < 0 && Dominates(candidates[j], candidates[i]);
      }
      if (!dominated) front.push_back(i);
    }
    for (size_t i : front) rank[i] = r;
    assigned += front.size();
  }
  return rank;
}

std::vector<Candidate> ParetoFront(const std::vector<Candidate>& candidates) {
  std::vector<Candidate> front;
  for (const Candidate& c : candidates) {
    bool dominated = false;
    for (const Candidate& other : candidates) {
      if (Dominates(other, c)) {
        dominated = true;
        break;
      }
    }
    const bool duplicate =
        std::any_of(front.begin(), front.end(), [&](const Candidate& f) { return f.config == c.config; });
    if (!dominated && !duplicate) front.push_back(c);
  }
  std::sort(front.begin(), front.end(), [](const Candidate& a, const Candidate& b) { return a.accuracy > b.accuracy; });
  return front;
}

}  // namespace kilonas::search
