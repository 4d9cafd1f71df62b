#include "search/surrogate.h"

#include <algorithm>
#include <cmath>

namespace kilonas::search {

double KendallTau(const std::vector<double>& a, const std::vector<double>& b) {
  const size_t n = std::min(a.size(), b.size());
  double concordant = 0, discordant = 0, ties_a = 0, ties_b = 0;
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const double da = a[i] - a[j], db = b[i] - b[j];
      if (da == 0 && db == 0) continue;
      if (da == 0) {
        ++ties_a;
      } else if (db == 0) {
        ++ties_b;
      } else if ((da > 0) == (db > 0)) {
        ++concordant;
      } else {
        ++discordant;
      }
    }
  }
  const double denominator = std::sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b));
  return denominator > 0 ? (concordant - discordant) / denominator : 0.0;
}

SurrogateQuality FitSurrogate(Surrogate& surrogate, const BatchAccuracyFn& measure, int samples,
                              const std::function<core::SubnetConfig()>& draw) {
  std::vector<core::SubnetConfig> configs;
  for (int i = 0; i < samples; ++i) configs.push_back(draw());
  const std::vector<double> measured = measure(configs);
  SurrogateQuality quality;
  quality.held_out = samples / 5;
  quality.fitted = samples - quality.held_out;
  if (quality.held_out >= 2) {
    surrogate.Fit({configs.begin(), configs.begin() + quality.fitted},
                  {measured.begin(), measured.begin() + quality.fitted});
    std::vector<double> predicted, truth(measured.begin() + quality.fitted, measured.end());
    double squared = 0;
    for (size_t i = static_cast<size_t>(quality.fitted); i < configs.size(); ++i) {
      predicted.push_back(surrogate.Predict(configs[i]));
      squared += (predicted.back() - measured[i]) * (predicted.back() - measured[i]);
    }
    quality.rmse = std::sqrt(squared / quality.held_out);
    quality.kendall_tau = KendallTau(predicted, truth);
  }
  quality.fitted = samples;  // the surrogate the search uses is fitted on every sample
  surrogate.Fit(configs, measured);
  return quality;
}

void RemeasureBest(EvolutionResult& result, const BatchAccuracyFn& measure, int count) {
  const size_t n = std::min(result.population.size(), static_cast<size_t>(std::max(count, 0)));
  std::vector<core::SubnetConfig> best;
  for (size_t i = 0; i < n; ++i) best.push_back(result.population[i].config);
  const std::vector<double> measured = measure(best);
  for (size_t i = 0; i < n; ++i) {
    Candidate& c = result.population[i];
    c.accuracy = measured.at(i);
    for (Candidate& e : result.evaluated) {
      if (e.config == c.config) e.accuracy = c.accuracy;
    }
  }
  std::stable_sort(result.population.begin(), result.population.begin() + static_cast<std::ptrdiff_t>(n),
                   [](const Candidate& x, const Candidate& y) { return x.accuracy > y.accuracy; });
}

core::Result<SearchOutcome> EvolveWithAccuracy(const ResourceModel& model, const Budgets& budgets,
                                               const AccuracySource& source, const EvolutionConfig& config,
                                               std::mt19937& rng,
                                               const std::function<void(const EvolutionState&)>& on_generation,
                                               const EvolutionState* resume) {
  SearchOutcome outcome;
  const BatchAccuracyFn measure = source.measure_many ? source.measure_many : OneByOne(source.measure);
  BatchAccuracyFn fitness = measure;
  if (source.surrogate) {
    outcome.surrogate = FitSurrogate(*source.surrogate, measure, source.surrogate_samples, source.draw);
    fitness = OneByOne([&source](const core::SubnetConfig& c) { return source.surrogate->Predict(c); });
  }
  core::Result<EvolutionResult> evolved = Evolve(model, budgets, fitness, config, rng, on_generation, resume);
  if (!evolved.ok()) return evolved.error();
  outcome.result = std::move(evolved).value();
  if (source.surrogate) RemeasureBest(outcome.result, measure, source.remeasure_best);
  return outcome;
}

}  // namespace kilonas::search
