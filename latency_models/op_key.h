// OpKey: what one kernel call's latency depends on — op kind, kernel, stride, the input region it
// reads and the output region it computes (whole tensors, or one patch of the patch stage), the
// kernel set (reference kernels in per_layer mode, SMLAD ones otherwise) and whether it writes
// over another tensor's buffer (in-place depthwise, projection with the residual add fused).
// ExecutedCalls lists the calls a MemoryPlan executes, in the engine's order: the profiler, the
// predictor and the LUT all key through it.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/kernel_registry.h"
#include "memory_planner/memory_plan.h"
#include "memory_planner/plan_calls.h"

namespace kilonas::latency_models {

struct OpKey {
  core::OpKind kind = core::OpKind::kConv2d;
  int kernel = 1;
  int stride = 1;
  core::Shape in;   // region read (rows x cols x channels)
  core::Shape out;  // region computed
  core::KernelSet kernels = core::KernelSet::kOptimized;
  bool writes_over = false;
  bool wide = false;  // the wide-weight pointwise kernel (core::WeightLayout::kWide)
  // The window's columns where they differ from its rows (imported 10x8 convolutions; "k10x8"
  // in the text form); 0: square. No LUT holds such keys: they are priced by the fallback.
  int kernel_w = 0;
  bool operator==(const OpKey& o) const {
    return kind == o.kind && kernel == o.kernel && stride == o.stride && in == o.in && out == o.out &&
           kernels == o.kernels && writes_over == o.writes_over && wide == o.wide && kernel_w == o.kernel_w;
  }
  bool operator<(const OpKey& o) const { return ToString() < o.ToString(); }
  // Stable text form, also the LUT's JSON key: "depthwise_conv2d k3 s2 16x16x48 -> 8x8x48 in_place",
  // "pointwise_conv2d k1 s1 8x8x96 -> 8x8x24 ref fused_add" (tokens: ref or wide, then in_place or
  // fused_add).
  std::string ToString() const;
};

// The key of one planned call.
OpKey KeyOf(const core::Graph& graph, const memory_planner::PlannedCall& call);

// One key per kernel call of the plan, in execution order (the patch stage once per patch at
// that patch's regions; no call for an add computed by its producer). Matches engine::BuildSchedule
// step for step (tested).
std::vector<OpKey> ExecutedCalls(const core::Graph& graph, const memory_planner::MemoryPlan& plan);

// Parses ToString()'s form; errors name the text.
core::Result<OpKey> ParseOpKey(const std::string& text);

struct OpKeyHash {
  size_t operator()(const OpKey& key) const;
};

// A key's MACs (one of the fallback model's features, FeaturesOf in predictor.cc).
int64_t KeyMacs(const OpKey& key);

}  // namespace kilonas::latency_models
