#include "ondevice/update_scheme.h"

#include <algorithm>
#include <array>
#include <random>
#include <set>

namespace kilonas::ondevice {
namespace {

constexpr std::array<int, 5> kEighths = {0, 1, 2, 4, 8};

// The last k layers with weights, each with its bias and, for `whole`, all its weights.
UpdateScheme LastK(const engine::Model& model, int k, bool whole) {
  UpdateScheme s;
  const std::vector<int> ops = WeightedOps(model.graph);
  const size_t first = ops.size() > static_cast<size_t>(std::max(k, 0)) ? ops.size() - static_cast<size_t>(k) : 0;
  for (size_t i = first; i < ops.size(); ++i) {
    s.layers.push_back({model.graph.op(ops[i]).name, true, ChannelRatio{whole ? 8 : 0}});
  }
  return s;
}

}  // namespace

std::vector<int> WeightedOps(const core::Graph& graph) {
  std::vector<int> ops;
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    if (core::Traits(graph.op(static_cast<int>(i)).kind).has_weights) ops.push_back(static_cast<int>(i));
  }
  return ops;
}

int OpNamed(const core::Graph& graph, const std::string& name) {
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    if (graph.op(static_cast<int>(i)).name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string ChannelRatio::Text() const {
  switch (eighths) {
    case 0:
      return "0";
    case 8:
      return "1";
    default:
      return "1/" + std::to_string(8 / eighths);
  }
}

core::Result<ChannelRatio> ParseChannelRatio(const std::string& text) {
  for (int e : kEighths) {
    if (ChannelRatio{e}.Text() == text) return ChannelRatio{e};
  }
  return core::Error{"'" + text + "' is not a channel ratio (0, 1/8, 1/4, 1/2 or 1)"};
}

core::Status ValidateUpdateScheme(const UpdateScheme& scheme, const engine::Model& model, const std::string& source) {
  const auto fail = [&](const std::string& what) { return core::Status::Fail(source + ": " + what); };
  std::set<std::string> seen;
  bool updates = false;
  for (const LayerUpdate& u : scheme.layers) {
    if (!seen.insert(u.layer).second) return fail("layer '" + u.layer + "' is named twice");
    if (std::find(kEighths.begin(), kEighths.end(), u.weights.eighths) == kEighths.end()) {
      return fail("layer '" + u.layer + "': weights ratio of " + std::to_string(u.weights.eighths) + " eighths");
    }
    const int op = OpNamed(model.graph, u.layer);
    if (op < 0) return fail("layer '" + u.layer + "': the model has no op of that name");
    const core::Op& o = model.graph.op(op);
    if (!core::Traits(o.kind).has_weights) {
      return fail("layer '" + u.layer + "' (" + std::string(core::Traits(o.kind).name) + ") has no weights or bias");
    }
    updates = updates || u.bias || u.weights.eighths > 0;
  }
  if (!updates) return fail("the scheme updates nothing (no bias and no weights ratio above 0)");
  return core::Status::Ok();
}

int64_t UpdatedParameters(const UpdateScheme& scheme, const engine::Model& model) {
  int64_t count = 0;
  for (const LayerUpdate& u : scheme.layers) {
    const int op = OpNamed(model.graph, u.layer);
    if (op < 0) continue;
    const core::Op& o = model.graph.op(op);
    const int channels = model.graph.OutputOf(o).shape.c;
    const int64_t per_channel = model.graph.WeightCount(o) / std::max(channels, 1);
    count += (u.bias ? channels : 0) + per_channel * u.weights.Channels(channels);
  }
  return count;
}

UpdateScheme LastBiases(const engine::Model& model, int k) { return LastK(model, k, false); }
UpdateScheme LastLayers(const engine::Model& model, int k) { return LastK(model, k, true); }

core::Result<std::string> ReinitialiseClassifier(engine::Model& model, UpdateScheme& scheme, uint32_t seed) {
  const core::Graph& g = model.graph;
  int last = -1;
  for (size_t i = 0; i < g.ops().size(); ++i) {
    if (core::Traits(g.op(static_cast<int>(i)).kind).has_weights) last = static_cast<int>(i);
  }
  const int logits =
      g.op(g.ops().size() - 1).kind == core::OpKind::kSoftmax ? g.op(g.ops().size() - 1).inputs[0] : g.output();
  if (last < 0 || g.op(last).output != logits) {
    return core::Error{
        "the model's last layer with weights does not produce its logits: no classifier to re-initialise"};
  }
  std::mt19937 rng(seed);
  engine::OpConstants& c = model.constants[static_cast<size_t>(last)];
  for (int8_t& w : c.weights) w = static_cast<int8_t>(std::uniform_int_distribution<int>(-16, 16)(rng));
  std::fill(c.bias.begin(), c.bias.end(), 0);
  const std::string& name = g.op(last).name;
  auto it =
      std::find_if(scheme.layers.begin(), scheme.layers.end(), [&](const LayerUpdate& u) { return u.layer == name; });
  if (it == scheme.layers.end()) it = scheme.layers.insert(scheme.layers.end(), LayerUpdate{name, true, {}});
  it->bias = true;
  it->weights.eighths = 8;
  return name;
}

}  // namespace kilonas::ondevice
