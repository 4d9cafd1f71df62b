#include "pipeline/budget_scheme.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "supernet/distributed.h"

namespace kilonas::pipeline {
namespace {

// The finalists, then the baselines that are not among them.
std::vector<ondevice::ScoredChoice> Candidates(const ondevice::SchemeSearchResult& r) {
  std::vector<ondevice::ScoredChoice> candidates = r.finalists;
  for (const ondevice::ScoredChoice& c : {r.last_layers, r.bias_only}) {
    if (std::none_of(candidates.begin(), candidates.end(),
                     [&](const auto& x) { return x.choice.Key() == c.choice.Key(); })) {
      candidates.push_back(c);
    }
  }
  return candidates;
}

}  // namespace

std::string FinalistsCachePath(const std::string& analysis_cache) {
  if (analysis_cache.empty()) return "";
  const std::filesystem::path path(analysis_cache);
  return (path.parent_path() / (path.stem().string() + "_finalists.json")).string();
}

core::Result<BudgetSchemeResult> SchemeForBudget(const engine::Model& model, const ondevice::UpdateScheme& settings,
                                                 const data::Dataset& set, const BudgetSchemeOptions& options) {
  core::Result<ondevice::SparseLayers> layers = ondevice::SparseLayersOf(model);
  if (!layers.ok()) return layers.error();
  BudgetSchemeResult result;
  ondevice::UpdateScheme analysis = settings;
  if (options.analysis_steps > 0) analysis.steps = options.analysis_steps;
  core::Result<ondevice::Contributions> contributions = AnalyseContributions(model, analysis, set, options.measuring);
  if (!contributions.ok()) return contributions.error();
  result.contributions = contributions.value();
  if (options.measuring.collective != nullptr && options.measuring.collective->rank() != 0) {
    result.analysed_only = true;
    return result;
  }
  ondevice::SchemeSearchOptions search;
  search.budget_bytes = options.budget_bytes;
  search.seed = options.measuring.seed;
  core::Result<ondevice::SchemeSearchResult> found =
      ondevice::SearchScheme(model, result.contributions, settings, search);
  if (!found.ok()) return found.error();
  result.search = found.value();
  const std::vector<ondevice::ScoredChoice> candidates = Candidates(result.search);
  std::vector<ondevice::ContributionRun> runs;
  for (const ondevice::ScoredChoice& c : candidates) runs.push_back({"scheme " + c.choice.Key(), c.choice});
  ContributionOptions measuring = options.measuring;
  measuring.cache_path = FinalistsCachePath(options.measuring.cache_path);
  measuring.collective = nullptr;  // a few runs: rank 0's threads
  core::Result<std::map<std::string, double>> measured = MeasureSchemes(model, settings, set, runs, measuring);
  if (!measured.ok()) return measured.error();
  for (size_t i = 0; i < runs.size(); ++i) {
    result.candidates.push_back({candidates[i], measured.value().at(runs[i].name)});
    // Ties keep the earlier candidate: the larger predicted gain.
    if (i == 0 || result.candidates[i].validation_accuracy > result.best.validation_accuracy) {
      result.best = result.candidates[i];
    }
  }
  result.scheme = ondevice::SchemeOf(layers.value(), result.best.choice.choice, settings);
  return result;
}

}  // namespace kilonas::pipeline
