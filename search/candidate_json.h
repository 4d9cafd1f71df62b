// JSON form of a search candidate (subnet, accuracy, resources). Include only from *_json.cc.
#pragma once

#include <nlohmann/json.hpp>

#include "search/evolution.h"

namespace kilonas::search {

nlohmann::ordered_json CandidateToJson(const Candidate& candidate);

}  // namespace kilonas::search
