#include "latency_models/op_key.h"

#include <cstdio>
#include <functional>
#include <sstream>

namespace kilonas::latency_models {

std::string OpKey::ToString() const {
  std::ostringstream text;
  text << core::Traits(kind).name << " k" << kernel << " s" << stride << " " << in.ToString() << " -> " << out.ToString();
  return text.str();
}

OpKey KeyOf(const core::Graph& graph, const core::Op& op) {
  return {op.kind, op.kernel, op.stride, graph.InputOf(op).shape, graph.OutputOf(op).shape};
}

core::Result<OpKey> ParseOpKey(const std::string& text) {
  char kind[64] = {0};
  OpKey key;
  int consumed = 0;
  const int n = std::sscanf(text.c_str(), "%63s k%d s%d %dx%dx%d -> %dx%dx%d%n", kind, &key.kernel, &key.stride, &key.in.h,
                            &key.in.w, &key.in.c, &key.out.h, &key.out.w, &key.out.c, &consumed);
  const std::optional<core::OpKind> k = core::OpKindFromName(kind);
  if (n != 9 || !k || static_cast<size_t>(consumed) != text.size() || key.kernel < 1 || key.stride < 1 ||
      key.in.Elements() <= 0 || key.out.Elements() <= 0) {
    return core::Error{"bad op key '" + text + "' (expected e.g. 'depthwise_conv2d k3 s2 16x16x48 -> 8x8x48')"};
  }
  key.kind = *k;
  return key;
}

size_t OpKeyHash::operator()(const OpKey& key) const {
  size_t h = static_cast<size_t>(key.kind);
  for (int v : {key.kernel, key.stride, key.in.h, key.in.w, key.in.c, key.out.h, key.out.w, key.out.c}) {
    h = h * 1000003u ^ std::hash<int>()(v);
  }
  return h;
}

int64_t KeyMacs(const OpKey& key) {
  const int64_t window = static_cast<int64_t>(key.kernel) * key.kernel;
  const int64_t pixels = static_cast<int64_t>(key.out.h) * key.out.w;
  switch (key.kind) {
    case core::OpKind::kConv2d:
    case core::OpKind::kPointwiseConv2d:
      return pixels * window * key.in.c * key.out.c;
    case core::OpKind::kDepthwiseConv2d:
      return pixels * window * key.out.c;
    case core::OpKind::kFullyConnected:
      return key.in.Elements() * key.out.c;
    default:
      return 0;
  }
}

}  // namespace kilonas::latency_models
