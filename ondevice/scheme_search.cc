#include "ondevice/scheme_search.h"

#include <algorithm>
#include <array>
#include <cstdio>
#include <random>
#include <unordered_map>

#include "ondevice/training_program.h"

namespace kilonas::ondevice {
namespace {

constexpr std::array<int, 4> kRatios = {1, 2, 4, 8};  // eighths the analysis measures

std::string BiasRun(int depth) { return "biases:" + std::to_string(depth); }
std::string WeightRun(const std::string& layer, int eighths) {
  return "weights:" + layer + ":" + ChannelRatio{eighths}.Text();
}

// The step sizes of choices, each planned once.
class StepBytes {
 public:
  StepBytes(const engine::Model& model, const SparseLayers& layers, const UpdateScheme& settings)
      : model_(model), layers_(layers), settings_(settings) {}
  core::Result<int64_t> Of(const SparseChoice& c) {
    const std::string key = c.Key();
    if (auto it = bytes_.find(key); it != bytes_.end()) return it->second;
    core::Result<int64_t> bytes = TrainingStepBytes(model_, SchemeOf(layers_, c, settings_));
    if (bytes.ok()) bytes_.emplace(key, bytes.value());
    return bytes;
  }
  int measured() const { return static_cast<int>(bytes_.size()); }

 private:
  const engine::Model& model_;
  const SparseLayers& layers_;
  const UpdateScheme& settings_;
  std::unordered_map<std::string, int64_t> bytes_;
};

class Evolution {
 public:
  Evolution(const SparseLayers& layers, const Contributions& c, StepBytes& bytes, const SchemeSearchOptions& o)
      : layers_(layers), contributions_(c), bytes_(bytes), options_(o), rng_(o.seed) {}

  // The choice made smaller until it fits: one step at a time, a random one of the bias depth
  // (by a random amount) and the nonzero ratios (halved). The classifier alone fits (checked).
  core::Result<ScoredChoice> Fit(SparseChoice c) {
    for (;;) {
      core::Result<int64_t> bytes = bytes_.Of(c);
      if (!bytes.ok()) return bytes.error();
      if (bytes.value() <= options_.budget_bytes)
        return ScoredChoice{c, contributions_.Gain(layers_, c), bytes.value()};
      std::vector<int> genes;  // -1: the bias depth; i: layer i's ratio
      if (c.bias_depth > 0) genes.push_back(-1);
      for (size_t i = 0; i < c.eighths.size(); ++i) {
        if (c.eighths[i] > 0) genes.push_back(static_cast<int>(i));
      }
      const int g = genes[std::uniform_int_distribution<size_t>(0, genes.size() - 1)(rng_)];
      if (g < 0) {
        c.bias_depth = std::uniform_int_distribution<int>(0, c.bias_depth - 1)(rng_);
      } else {
        c.eighths[static_cast<size_t>(g)] /= 2;
      }
    }
  }

  SparseChoice Random() {
    SparseChoice c;
    c.bias_depth = std::uniform_int_distribution<int>(0, static_cast<int>(layers_.layers.size()))(rng_);
    for (size_t i = 0; i < layers_.layers.size(); ++i) c.eighths.push_back(RandomRatio(0.25));
    return c;
  }

  SparseChoice Mutate(SparseChoice c) {
    std::bernoulli_distribution flip(options_.mutation_probability);
    if (flip(rng_)) c.bias_depth = std::uniform_int_distribution<int>(0, static_cast<int>(c.eighths.size()))(rng_);
    for (int& e : c.eighths) {
      if (flip(rng_)) e = RandomRatio(0.5);
    }
    return c;
  }

  SparseChoice Crossover(const SparseChoice& a, const SparseChoice& b) {
    std::bernoulli_distribution coin(0.5);
    SparseChoice c = a;
    if (coin(rng_)) c.bias_depth = b.bias_depth;
    for (size_t i = 0; i < c.eighths.size(); ++i) {
      if (coin(rng_)) c.eighths[i] = b.eighths[i];
    }
    return c;
  }

  size_t Pick(size_t parents) { return std::uniform_int_distribution<size_t>(0, parents - 1)(rng_); }
  bool CoinFlip() { return std::bernoulli_distribution(0.5)(rng_); }

 private:
  // 0 with probability 1 - p_nonzero, else one of the four ratios.
  int RandomRatio(double p_nonzero) {
    if (!std::bernoulli_distribution(p_nonzero)(rng_)) return 0;
    return kRatios[std::uniform_int_distribution<size_t>(0, kRatios.size() - 1)(rng_)];
  }

  const SparseLayers& layers_;
  const Contributions& contributions_;
  StepBytes& bytes_;
  const SchemeSearchOptions& options_;
  std::mt19937 rng_;
};

// More gain first; at equal gain the smaller step, then the key (a total order: same seed, same result).
bool Better(const ScoredChoice& a, const ScoredChoice& b) {
  if (a.predicted_gain != b.predicted_gain) return a.predicted_gain > b.predicted_gain;
  if (a.step_bytes != b.step_bytes) return a.step_bytes < b.step_bytes;
  return a.choice.Key() < b.choice.Key();
}

// The deepest bias-only and the deepest last-k choice that fit (the classifier alone fits).
core::Result<std::vector<ScoredChoice>> Baselines(const SparseLayers& layers, const Contributions& contributions,
                                                  StepBytes& bytes, int64_t budget) {
  const int n = static_cast<int>(layers.layers.size());
  std::vector<ScoredChoice> seeds;
  for (int whole : {0, 1}) {
    for (int k = n; k >= 0; --k) {
      SparseChoice c{k, std::vector<int>(static_cast<size_t>(n), 0)};
      for (int i = n - k; whole && i < n; ++i) c.eighths[static_cast<size_t>(i)] = 8;
      core::Result<int64_t> b = bytes.Of(c);
      if (!b.ok()) return b.error();
      if (b.value() <= budget) {
        seeds.push_back({c, contributions.Gain(layers, c), b.value()});
        break;
      }
    }
  }
  return seeds;
}

}  // namespace

core::Result<SparseLayers> SparseLayersOf(const engine::Model& model) {
  const core::Graph& g = model.graph;
  const std::vector<int> ops = WeightedOps(g);
  const int logits =
      g.op(g.ops().size() - 1).kind == core::OpKind::kSoftmax ? g.op(g.ops().size() - 1).inputs[0] : g.output();
  if (ops.empty() || g.op(ops.back()).output != logits) {
    return core::Error{"the model's last layer with weights does not produce its logits: no classifier to train"};
  }
  SparseLayers layers;
  for (size_t i = 0; i + 1 < ops.size(); ++i) layers.layers.push_back(g.op(ops[i]).name);
  layers.classifier = g.op(ops.back()).name;
  return layers;
}

std::string SparseChoice::Key() const {
  std::string key = "b" + std::to_string(bias_depth) + " w";
  for (size_t i = 0; i < eighths.size(); ++i) key += (i ? "." : "") + std::to_string(eighths[i]);
  return key;
}

UpdateScheme SchemeOf(const SparseLayers& layers, const SparseChoice& choice, const UpdateScheme& settings) {
  UpdateScheme s = settings;
  s.layers.clear();
  const size_t n = layers.layers.size();
  for (size_t i = 0; i < n; ++i) {
    const bool bias = i + static_cast<size_t>(choice.bias_depth) >= n;
    const int eighths = i < choice.eighths.size() ? choice.eighths[i] : 0;
    if (bias || eighths > 0) s.layers.push_back({layers.layers[i], bias, ChannelRatio{eighths}});
  }
  s.layers.push_back({layers.classifier, true, ChannelRatio{8}});
  return s;
}

std::vector<ContributionRun> ContributionRuns(const SparseLayers& layers) {
  const int n = static_cast<int>(layers.layers.size());
  const std::vector<int> none(static_cast<size_t>(n), 0);
  std::vector<ContributionRun> runs = {{"classifier", {0, none}}};
  for (int k = 1; k <= n; ++k) runs.push_back({BiasRun(k), {k, none}});
  for (int i = 0; i < n; ++i) {
    for (int e : kRatios) {
      SparseChoice c{0, none};
      c.eighths[static_cast<size_t>(i)] = e;
      runs.push_back({WeightRun(layers.layers[static_cast<size_t>(i)], e), c});
    }
  }
  return runs;
}

double Contributions::BiasGain(int depth) const {
  return depth == 0 ? 0 : accuracy.at(BiasRun(depth)) - accuracy.at("classifier");
}

double Contributions::WeightGain(const std::string& layer, int eighths) const {
  return eighths == 0 ? 0 : accuracy.at(WeightRun(layer, eighths)) - accuracy.at("classifier");
}

double Contributions::Gain(const SparseLayers& layers, const SparseChoice& choice) const {
  double gain = BiasGain(choice.bias_depth);
  for (size_t i = 0; i < choice.eighths.size(); ++i) gain += WeightGain(layers.layers[i], choice.eighths[i]);
  return gain;
}

std::vector<std::string> Contributions::Missing(const SparseLayers& layers) const {
  std::vector<std::string> missing;
  for (const ContributionRun& run : ContributionRuns(layers)) {
    if (!accuracy.count(run.name)) missing.push_back(run.name);
  }
  return missing;
}

core::Result<int64_t> TrainingStepBytes(const engine::Model& model, const UpdateScheme& scheme) {
  core::Result<TrainingProgram> program = BuildTrainingProgram(model, scheme);
  if (!program.ok()) return program.error();
  return program.value().layout.arena_bytes;
}

core::Status ClassifierAloneFits(const engine::Model& model, const UpdateScheme& settings, int64_t budget_bytes) {
  core::Result<SparseLayers> layers = SparseLayersOf(model);
  if (!layers.ok()) return layers.error();
  const SparseChoice alone{0, std::vector<int>(layers.value().layers.size(), 0)};
  core::Result<int64_t> bytes = TrainingStepBytes(model, SchemeOf(layers.value(), alone, settings));
  if (!bytes.ok()) return bytes.error();
  if (bytes.value() <= budget_bytes) return core::Status::Ok();
  char text[240];
  std::snprintf(text, sizeof text,
                "a training step that updates only the classifier ('%s') needs %.1f kB of SRAM, more than the budget "
                "of %.1f kB",
                layers.value().classifier.c_str(), static_cast<double>(bytes.value()) / 1024.0,
                static_cast<double>(budget_bytes) / 1024.0);
  return core::Status::Fail(text);
}

core::Result<SchemeSearchResult> SearchScheme(const engine::Model& model, const Contributions& contributions,
                                              const UpdateScheme& settings, const SchemeSearchOptions& options) {
  core::Result<SparseLayers> layers = SparseLayersOf(model);
  if (!layers.ok()) return layers.error();
  const SparseLayers& l = layers.value();
  if (const std::vector<std::string> missing = contributions.Missing(l); !missing.empty()) {
    return core::Error{"the contribution analysis lacks " + std::to_string(missing.size()) + " runs (first: '" +
                       missing[0] + "')"};
  }
  if (core::Status fits = ClassifierAloneFits(model, settings, options.budget_bytes); !fits.ok()) return fits.error();
  StepBytes bytes(model, l, settings);
  Evolution evolution(l, contributions, bytes, options);
  core::Result<std::vector<ScoredChoice>> seeded = Baselines(l, contributions, bytes, options.budget_bytes);
  if (!seeded.ok()) return seeded.error();
  std::vector<ScoredChoice> population = seeded.value();
  const size_t size = static_cast<size_t>(std::max(options.population, 4));
  while (population.size() < size) {
    core::Result<ScoredChoice> s = evolution.Fit(evolution.Random());
    if (!s.ok()) return s.error();
    population.push_back(s.value());
  }
  const size_t parents = std::max<size_t>(2, static_cast<size_t>(options.parent_ratio * static_cast<double>(size)));
  for (int generation = 0; generation < options.generations; ++generation) {
    std::sort(population.begin(), population.end(), Better);
    population.resize(parents);
    while (population.size() < size) {
      const SparseChoice& a = population[evolution.Pick(parents)].choice;
      const SparseChoice child = evolution.CoinFlip()
                                     ? evolution.Mutate(a)
                                     : evolution.Crossover(a, population[evolution.Pick(parents)].choice);
      core::Result<ScoredChoice> s = evolution.Fit(child);
      if (!s.ok()) return s.error();
      population.push_back(s.value());
    }
  }
  std::sort(population.begin(), population.end(), Better);
  SchemeSearchResult result{population[0], seeded.value()[0], seeded.value()[1], {}, bytes.measured()};
  for (const ScoredChoice& s : population) {
    const bool seen = std::any_of(result.finalists.begin(), result.finalists.end(),
                                  [&](const ScoredChoice& f) { return f.choice.Key() == s.choice.Key(); });
    if (!seen && static_cast<int>(result.finalists.size()) < std::max(options.finalists, 1)) {
      result.finalists.push_back(s);
    }
  }
  return result;
}

}  // namespace kilonas::ondevice
