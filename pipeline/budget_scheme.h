// The update scheme for a training-SRAM budget, the whole way: MCUNetV3's contribution analysis
// (contribution_analysis.h), the scheme search over its gains (ondevice/scheme_search.h), then
// the search's finalists and MCUNetV3's two baselines fine-tuned with the final settings on the
// validation split and the best measured kept (summed gains overrate choices that update many
// layers at once). What `nas_tune --train-sram-kb` and `nas_search --train-sram-kb` run.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "engine/model.h"
#include "ondevice/scheme_search.h"
#include "pipeline/contribution_analysis.h"

namespace kilonas::pipeline {

struct BudgetSchemeOptions {
  int64_t budget_bytes = 0;
  int analysis_steps = 0;         // SGD steps of each analysis run (0: the settings')
  ContributionOptions measuring;  // scoring, seed, ranks; cache_path: the analysis' cache, the
                                  // finalists' beside it (<stem>_finalists.json)
};

struct MeasuredChoice {
  ondevice::ScoredChoice choice;
  double validation_accuracy = 0;
};

struct BudgetSchemeResult {
  ondevice::Contributions contributions;
  ondevice::SchemeSearchResult search;     // with the baselines at the budget
  std::vector<MeasuredChoice> candidates;  // the finalists, then the baselines not among them
  MeasuredChoice best;                     // the candidate of the best validation accuracy
  ondevice::UpdateScheme scheme;           // best's, with the settings
  bool analysed_only = false;              // a rank other than 0: its share of the analysis done, nothing else
};

// The finalists' cache beside the analysis' ("" for none).
std::string FinalistsCachePath(const std::string& analysis_cache);

core::Result<BudgetSchemeResult> SchemeForBudget(const engine::Model& model, const ondevice::UpdateScheme& settings,
                                                 const data::Dataset& set, const BudgetSchemeOptions& options);

}  // namespace kilonas::pipeline
