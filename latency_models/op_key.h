// OpKey: what an op's latency depends on — kind, kernel, stride, input and output shapes. One
// function maps a Graph op to its key; the profiler and the LUT use the same function.
#pragma once

#include <cstddef>
#include <string>

#include "core/graph.h"

namespace kilonas::latency_models {

struct OpKey {
  core::OpKind kind = core::OpKind::kConv2d;
  int kernel = 1;
  int stride = 1;
  core::Shape in;
  core::Shape out;
  bool operator==(const OpKey& o) const {
    return kind == o.kind && kernel == o.kernel && stride == o.stride && in == o.in && out == o.out;
  }
  bool operator<(const OpKey& o) const { return ToString() < o.ToString(); }
  // Stable text form, also the LUT's JSON key: "depthwise_conv2d k3 s2 16x16x48 -> 8x8x48".
  std::string ToString() const;
};

OpKey KeyOf(const core::Graph& graph, const core::Op& op);

// Parses ToString()'s form; errors name the text.
core::Result<OpKey> ParseOpKey(const std::string& text);

struct OpKeyHash {
  size_t operator()(const OpKey& key) const;
};

// MACs, input and output elements of a key: the fallback model's features.
int64_t KeyMacs(const OpKey& key);

}  // namespace kilonas::latency_models
