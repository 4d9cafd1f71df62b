// TinyNAS search over a once-for-all space under resource budgets.
//  Stage 1 (RankSpaces): for each (width, resolution) of the space, sample subnets, keep those
//   within budget, and rank the sub-spaces by the mean MACs of the fitting ones (TinyNAS: more
//   MACs that fit means a more capable space).
//  Stage 2 (Evolve): evolution with a population of feasible subnets; the top parents survive,
//   children come from mutation and crossover, each resampled until it meets every budget
//   (bounded, then shrunk to fit; a budget not even the smallest subnet meets is an error naming
//   its tightest constraint).
// One seeded RNG; resources are measured in parallel (OpenMP) on batches drawn sequentially, so
// the same seed and config give the same result.
#pragma once

#include <functional>
#include <random>
#include <vector>

#include "search/resources.h"

namespace kilonas::search {

struct Candidate {
  core::SubnetConfig config;
  Resources resources;
  double accuracy = 0;
};

// Accuracy of a subnet (supernet with BN recalibration, or a predictor); called sequentially.
using AccuracyFn = std::function<double(const core::SubnetConfig&)>;
// Accuracies of several subnets, in order: the unit a distributed search splits over its ranks.
using BatchAccuracyFn = std::function<std::vector<double>(const std::vector<core::SubnetConfig>&)>;
BatchAccuracyFn OneByOne(AccuracyFn accuracy);

core::SubnetConfig Mutate(const core::OfaSpace& space, const core::SubnetConfig& parent, double probability,
                          std::mt19937& rng);
core::SubnetConfig Crossover(const core::OfaSpace& space, const core::SubnetConfig& a, const core::SubnetConfig& b,
                             std::mt19937& rng);

struct SpaceChoice {
  double width = 0;
  int resolution = 0;
  int samples = 0, feasible = 0;
  double mean_feasible_macs = 0;
  bool shrunk = false;  // ranked by draws shrunk to fit (RankSpaces' fallback)
};

// Stage 1. Sorted best first (spaces with no feasible sample last). With `shrink_to_fit` (the
// fallback when no random draw of any sub-space fits) each draw that violates a budget is shrunk
// within its sub-space until it fits (search/shrink.h), so a sub-space counts as fitting exactly
// when its smallest subnet does, and is ranked by the mean MACs of its shrunk draws.
// Errors: the first subnet the resource model could not measure.
core::Result<std::vector<SpaceChoice>> RankSpaces(const ResourceModel& model, const Budgets& budgets,
                                                  int samples_per_space, std::mt19937& rng, bool shrink_to_fit = false);

// The best-ranked sub-space in which at least `min_feasible_fraction` of the samples fit (the
// evolution must be able to seed its population there; TinyNAS only ranks by fitting MACs), or
// the best-ranked one with any fit. Null when nothing fits.
const SpaceChoice* ChooseSpace(const std::vector<SpaceChoice>& ranked, double min_feasible_fraction = 0.1);

// The RNG state as EvolutionState::rng writes it; an error unless the text is one complete state.
core::Result<std::mt19937> ParseRngState(const std::string& text);

struct EvolutionConfig {
  int population = 100;
  double parent_ratio = 0.25;
  double mutation_probability = 0.1;
  double mutation_ratio = 0.5;  // share of children made by mutation; the rest by crossover
  int generations = 20;
  int max_attempts = 2000;  // draws per feasible candidate before giving up
  // Parents by Pareto rank over accuracy and the objectives marked `pareto` (objectives.h), ties
  // by accuracy, instead of by accuracy alone: the population spreads along the front.
  bool multi_objective = false;
};

struct GenerationLog {
  int generation = 0;
  double best_accuracy = 0, mean_accuracy = 0;
  Candidate best;
};

struct EvolutionResult {
  std::vector<Candidate> population;  // final, best first
  std::vector<GenerationLog> log;
  std::vector<Candidate> evaluated;  // every candidate whose accuracy was measured
};

// Everything needed to continue after generation `generation` was logged: with the RNG's text
// state, a resumed evolution draws exactly what the uninterrupted one would have.
struct EvolutionState {
  int generation = 0;
  EvolutionResult result;  // population sorted best first
  std::string rng;         // operator<< of the std::mt19937 at that point
};

// Feasible subnets drawn by `draw` (restricted to a sub-space if the caller wants), measured in
// parallel batches. When `attempts` draws give fewer than `count`, the first violating draws are
// shrunk until they fit (search/shrink.h). Error only when not even the smallest subnet of the
// model's space fits: it names the constraint the smallest violates most and what it needs.
core::Result<std::vector<Candidate>> DrawFeasible(const ResourceModel& model, const Budgets& budgets, int count,
                                                  int attempts, const std::function<core::SubnetConfig()>& draw);

// `on_generation` (optional) sees the state after each generation, e.g. to checkpoint it.
// With `resume`, continues from that state (rng must hold resume->rng).
// Each generation's new candidates are scored in one call of `accuracy`.
core::Result<EvolutionResult> Evolve(const ResourceModel& model, const Budgets& budgets,
                                     const BatchAccuracyFn& accuracy, const EvolutionConfig& config, std::mt19937& rng,
                                     const std::function<void(const EvolutionState&)>& on_generation = nullptr,
                                     const EvolutionState* resume = nullptr);
inline core::Result<EvolutionResult> Evolve(const ResourceModel& model, const Budgets& budgets,
                                            const AccuracyFn& accuracy, const EvolutionConfig& config,
                                            std::mt19937& rng,
                                            const std::function<void(const EvolutionState&)>& on_generation = nullptr,
                                            const EvolutionState* resume = nullptr) {
  return Evolve(model, budgets, OneByOne(accuracy), config, rng, on_generation, resume);
}

// Candidates not dominated in (accuracy higher, latency lower, SRAM lower); sorted by accuracy.
std::vector<Candidate> ParetoFront(const std::vector<Candidate>& candidates);

// Non-dominated sorting: rank 0 is the front, rank 1 the front of the rest, ... O(n^2) per rank.
std::vector<int> ParetoRanks(const std::vector<Candidate>& candidates);

}  // namespace kilonas::search
