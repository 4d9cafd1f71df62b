// Accuracy surrogates for the evolution (OFA's accuracy predictor): a model fitted on a few
// subnets whose accuracy was measured with the supernet, then used as the evolution's fitness so
// that the search scores thousands of candidates for the price of `samples` measurements.
//  FitSurrogate        measures `samples` subnets, fits on the first 80%, scores the held-out 20%
//                      (RMSE, Kendall tau), refits on all of them.
//  RemeasureBest       replaces the predicted accuracy of the best few candidates by measured
//                      accuracy and re-ranks them: the winner's figure is always measured.
//  EvolveWithAccuracy  stage 2 with either source: the one place that decides which function
//                      the evolution calls.
#pragma once

#include <functional>
#include <optional>
#include <vector>

#include "search/evolution.h"

namespace kilonas::search {

class Surrogate {
 public:
  virtual ~Surrogate() = default;
  virtual void Fit(const std::vector<core::SubnetConfig>& configs, const std::vector<double>& accuracies) = 0;
  virtual double Predict(const core::SubnetConfig& config) = 0;
};

struct SurrogateQuality {
  int fitted = 0, held_out = 0;
  double rmse = 0;         // on the held-out subnets, accuracy units (0.01 = 1 point)
  double kendall_tau = 0;  // rank agreement of predicted and measured accuracy on them
};

// Kendall's tau-b of two equally long series (ties in either reduce it); 0 for fewer than 2.
// O(n^2).
double KendallTau(const std::vector<double>& a, const std::vector<double>& b);

// Measures `samples` subnets from `draw` (one call of `measure`) and calls `surrogate.Fit` twice.
SurrogateQuality FitSurrogate(Surrogate& surrogate, const BatchAccuracyFn& measure, int samples,
                              const std::function<core::SubnetConfig()>& draw);

// Measures the best `count` candidates of result.population (best first) and sorts those
// `count` among themselves by measured accuracy (the rest keep predicted figures and places);
// their entries in result.evaluated get the measured figures too.
void RemeasureBest(EvolutionResult& result, const BatchAccuracyFn& measure, int count);

struct AccuracySource {
  AccuracyFn measure;                        // supernet evaluation: slow, the truth the search can afford
  BatchAccuracyFn measure_many;              // optional: measures a batch at once (split over ranks)
  Surrogate* surrogate = nullptr;            // when set, the evolution's fitness
  int surrogate_samples = 200;               // measured subnets the surrogate is fitted on
  int remeasure_best = 3;                    // candidates measured after the evolution (the winner among them)
  std::function<core::SubnetConfig()> draw;  // subnets for the surrogate's samples
};

struct SearchOutcome {
  EvolutionResult result;
  std::optional<SurrogateQuality> surrogate;
};

// Stage 2 on `source`: with a surrogate, surrogate_samples + remeasure_best subnets measured;
// without one, the evolution measures every candidate. Batches go to source.measure_many when
// set, else to source.measure one by one.
core::Result<SearchOutcome> EvolveWithAccuracy(
    const ResourceModel& model, const Budgets& budgets, const AccuracySource& source, const EvolutionConfig& config,
    std::mt19937& rng, const std::function<void(const EvolutionState&)>& on_generation = nullptr,
    const EvolutionState* resume = nullptr);

}  // namespace kilonas::search
