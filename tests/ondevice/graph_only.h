// A model of a graph alone: the ondevice analyses read only the graph (no constants needed).
#pragma once

#include "engine/model.h"

namespace kilonas::ondevice::testing {

inline engine::Model GraphOnly(const core::Graph& graph) {
  engine::Model m;
  m.graph = graph;
  return m;
}

}  // namespace kilonas::ondevice::testing
