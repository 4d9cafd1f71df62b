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

}  // namespace kilonas::search
