#include "latency_models/op_key.h"

#include <cstdio>
#include <functional>
#include <sstream>

#include "memory_planner/plan_calls.h"

namespace kilonas::latency_models {

std::string OpKey::ToString() const {
  std::ostringstream text;
  text << core::Traits(kind).name << " k" << kernel;
  if (kernel_w > 0) text << "x" << kernel_w;
  text << " s" << stride << " " << in.ToString() << " -> " << out.ToString();
  const std::string tokens = core::CallVariant{kind, kernels, writes_over, wide}.Tokens();
  if (!tokens.empty()) text << " " << tokens;
  return text.str();
}

OpKey KeyOf(const core::Graph& graph, const memory_planner::PlannedCall& c) {
  const core::Op& op = graph.op(c.op);
  return {op.kind,       op.kernel, op.stride,
          c.in,          c.out,     c.kernels,
          c.writes_over, c.wide,    op.KernelW() != op.kernel ? op.KernelW() : 0};
}

std::vector<OpKey> ExecutedCalls(const core::Graph& graph, const memory_planner::MemoryPlan& plan) {
  std::vector<OpKey> keys;
  for (const memory_planner::PlannedCall& c : memory_planner::PlanCalls(graph, plan)) keys.push_back(KeyOf(graph, c));
  return keys;
}

core::Result<OpKey> ParseOpKey(const std::string& text) {
  char kind[64] = {0};
  OpKey key;
  int consumed = 0;
  const int n = std::sscanf(text.c_str(), "%63s k%d s%d %dx%dx%d -> %dx%dx%d%n", kind, &key.kernel, &key.stride,
                            &key.in.h, &key.in.w, &key.in.c, &key.out.h, &key.out.w, &key.out.c, &consumed);
  const std::optional<core::OpKind> k = core::OpKindFromName(kind);
  auto bad = [&] {
    return core::Error{"bad op key '" + text +
                       "' (expected e.g. 'depthwise_conv2d k3 s2 16x16x48 -> 8x8x48 in_place'; the tokens after the "
                       "shapes name a kernel variant: ref or wide, then in_place or fused_add)"};
  };
  if (n != 9 || !k || key.kernel < 1 || key.stride < 1 || key.in.Elements() <= 0 || key.out.Elements() <= 0)
    return bad();
  key.kind = *k;
  // The tokens must name a variant of the kernel registry, in its one spelling.
  std::istringstream words(text.substr(static_cast<size_t>(consumed)));
  std::string tokens;
  for (std::string word; words >> word;) tokens += (tokens.empty() ? "" : " ") + word;
  const std::optional<core::CallVariant> variant = core::FindCallVariant(key.kind, tokens);
  if (!variant) return bad();
  key.kernels = variant->kernels;
  key.writes_over = variant->writes_over;
  key.wide = variant->wide;
  return key;
}

size_t OpKeyHash::operator()(const OpKey& key) const {
  size_t h = static_cast<size_t>(key.kind);
  for (int v : {key.kernel, key.stride, key.in.h, key.in.w, key.in.c, key.out.h, key.out.w, key.out.c,
                static_cast<int>(key.kernels), static_cast<int>(key.writes_over), static_cast<int>(key.wide)}) {
    h = h * 1000003u ^ std::hash<int>()(v);
  }
  return h;
}

int64_t KeyMacs(const OpKey& key) {
  return core::MacsPerOutputPixel(key.kind, key.kernel, key.kernel_w > 0 ? key.kernel_w : key.kernel, key.in, key.out) *
         key.out.h * key.out.w;
}

}  // namespace kilonas::latency_models
