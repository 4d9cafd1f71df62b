// nas_search's per-generation checkpoint (search_state.json): the evolution state, the stage-1
// ranking and a fingerprint of the config and budgets it belongs to.
#pragma once

#include <string>
#include <vector>

#include "search/evolution.h"

namespace kilonas::search {

struct SearchState {
  std::string fingerprint;
  std::vector<SpaceChoice> spaces;
  EvolutionState evolution;
};

std::string SearchStateToJson(const SearchState& state);
core::Result<SearchState> ParseSearchState(const std::string& text, const std::string& source);

// Checks a parsed state against the run that would resume it, so that a hand-edited file is
// refused instead of silently changing the results: stage-1 spaces of `full_model`'s space with
// `stage1_samples` samples each and one chosen, the generation within the config's, the RNG state
// complete, the population of the config's size, and every candidate a subnet of the chosen
// sub-space with an accuracy in [0, 1] and exactly the resources `full_model` measures for it.
// Errors name the key.
core::Status ValidateSearchState(const SearchState& state, const ResourceModel& full_model,
                                 const EvolutionConfig& config, int stage1_samples);

// search_state.json with its manifest (core/checked_file.h): a state is written after every
// generation and read back verified and parsed.
core::Status SaveSearchState(const std::string& path, const SearchState& state);
core::Result<SearchState> LoadSearchState(const std::string& path);

}  // namespace kilonas::search
