// MCUNetV3's search of a sparse update scheme under a training-memory budget. The contribution
// analysis (pipeline/contribution_analysis.h fine-tunes the schemes ContributionRuns names)
// measures the accuracy of training, on top of the classifier, the biases of the last k layers and
// each layer's weights at each channel ratio; the gains over the classifier alone are assumed to
// add up, and an evolution looks for the choice with the largest sum whose training step fits the
// budget (its arena as the training program plans it: what the firmware runs in).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/model.h"
#include "ondevice/update_scheme.h"

namespace kilonas::ondevice {

// The layers a sparse choice picks from: every layer with weights before the classifier (the last
// layer with weights, producing the logits), in execution order.
struct SparseLayers {
  std::vector<std::string> layers;
  std::string classifier;
};
core::Result<SparseLayers> SparseLayersOf(const engine::Model& model);

// A scheme as the search sees it; the classifier's weights and bias always train (the base).
struct SparseChoice {
  int bias_depth = 0;        // the biases of this many layers before the classifier
  std::vector<int> eighths;  // per SparseLayers::layers, the share of its channels' weights (0, 1, 2, 4, 8)
  std::string Key() const;   // "b3 w0.0.2.8": one text per choice
};

// The scheme of a choice, with `settings`' learning rate, steps, batch and QAS.
UpdateScheme SchemeOf(const SparseLayers& layers, const SparseChoice& choice, const UpdateScheme& settings);

// The fine-tunes of the analysis, by name: "classifier" (the base), "biases:<k>" for k = 1 ..
// layers, "weights:<layer>:<ratio>" for every layer and ratio 1/8, 1/4, 1/2, 1.
struct ContributionRun {
  std::string name;
  SparseChoice choice;
};
std::vector<ContributionRun> ContributionRuns(const SparseLayers& layers);

// The analysis' accuracies by run name and the additive model over them.
struct Contributions {
  std::map<std::string, double> accuracy;
  // The accuracy gain over the classifier alone; 0 for nothing chosen. Every run needed must be
  // in `accuracy` (Missing says which are not).
  double BiasGain(int depth) const;
  double WeightGain(const std::string& layer, int eighths) const;
  double Gain(const SparseLayers& layers, const SparseChoice& choice) const;
  std::vector<std::string> Missing(const SparseLayers& layers) const;
};

// The training step's SRAM: the arena of the training program (reordered updates).
core::Result<int64_t> TrainingStepBytes(const engine::Model& model, const UpdateScheme& scheme);

// Whether the classifier alone (the smallest choice) fits the budget; the error names both figures.
core::Status ClassifierAloneFits(const engine::Model& model, const UpdateScheme& settings, int64_t budget_bytes);

struct SchemeSearchOptions {
  int64_t budget_bytes = 0;
  int population = 48;
  int generations = 30;
  double parent_ratio = 0.25;
  double mutation_probability = 0.15;  // per gene of a mutated child
  uint32_t seed = 1;
  int finalists = 6;  // the best distinct choices returned for a measured selection
};

// A choice with its predicted gain (Contributions::Gain) and its step's SRAM.
struct ScoredChoice {
  SparseChoice choice;
  double predicted_gain = 0;
  int64_t step_bytes = 0;
};

struct SchemeSearchResult {
  ScoredChoice best;
  // MCUNetV3's baselines at the same budget: the deepest bias-only choice and the deepest
  // "last k layers" (their weights and biases) that fit.
  ScoredChoice bias_only, last_layers;
  // The best distinct choices of the final population, best first (`best` is the first): the
  // additive model overrates choices that update many layers at once, so a caller can fine-tune
  // these and keep the one that measures best (pipeline::MeasureSchemes).
  std::vector<ScoredChoice> finalists;
  int measured = 0;  // distinct choices whose step was planned
};

// The evolution, seeded with the baselines, so that it never predicts less than they do. An
// error when the classifier alone does not fit (naming both figures) or the analysis lacks a run.
core::Result<SchemeSearchResult> SearchScheme(const engine::Model& model, const Contributions& contributions,
                                              const UpdateScheme& settings, const SchemeSearchOptions& options);

}  // namespace kilonas::ondevice
