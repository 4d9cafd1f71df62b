// JSON form of the Graph IR (tensors with shape, dtype and quantization; ops in execution order).
// Include only from *_json.cc files.
#pragma once

#include <nlohmann/json.hpp>

#include "core/graph.h"
#include "core/json_util.h"

namespace kilonas::core {

nlohmann::ordered_json GraphToJson(const Graph& graph);
// Throws JsonError naming the key path; the result still needs Graph::Validate.
Graph GraphFromJson(const nlohmann::json& doc, const std::string& path);

}  // namespace kilonas::core
