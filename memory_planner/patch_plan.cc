#include "memory_planner/patch_plan.h"

#include <algorithm>

namespace kilonas::memory_planner {

std::vector<int> PatchSplitCandidates(const core::Graph& graph) {
  const int num_ops = static_cast<int>(graph.ops().size());
  const std::vector<Lifetime> lifetimes = ComputeLifetimes(graph);
  std::vector<int> splits;
  // Tensors produced before the split that are still read at or after it.
  for (int n = 1; n < num_ops; ++n) {
    if (!core::Traits(graph.op(n - 1).kind).spatially_local) break;
    if (lifetimes[graph.input()].last >= n) continue;
    bool only_stage_output_crosses = true;
    for (int i = 0; i + 1 < n && only_stage_output_crosses; ++i) {
      only_stage_output_crosses = lifetimes[graph.op(i).output].last < n;
    }
    if (only_stage_output_crosses) splits.push_back(n);
  }
  return splits;
}

std::vector<core::Region> PatchRegions(const core::Graph& graph, int split_op, const core::Region& tile) {
  std::vector<core::Region> regions(graph.tensors().size());
  regions[graph.op(split_op - 1).output] = tile;
  for (int i = split_op - 1; i >= 0; --i) {
    const core::Op& op = graph.op(i);
    const core::Region out = regions[op.output];
    if (out.Area() == 0) continue;
    for (int t : op.inputs) {
      const core::Shape& in = graph.tensor(t).shape;
      core::Region need = out;
      if (core::Traits(op.kind).window) {
        need.rows = core::InputInterval(out.rows, op.kernel, op.stride, op.padding, in.h);
        need.cols = core::InputInterval(out.cols, op.KernelW(), op.stride, op.PaddingW(), in.w);
      }
      regions[t] = core::Hull(regions[t], need);
    }
  }
  return regions;
}

namespace {

// PlanPatch for a split already known to be a candidate.
core::Result<MemoryPlan> PlanPatchAtCandidate(const core::Graph& graph, const PatchConfig& config,
                                              const PlanOptions& options) {
  const int n = config.split_op;
  const int p = config.patches_per_side;
  const int stage_output = graph.op(n - 1).output;
  const core::Shape& out_shape = graph.tensor(stage_output).shape;
  if (p < 1 || p > out_shape.h || p > out_shape.w) {
    return core::Error{"patch plan: " + std::to_string(p) + "x" + std::to_string(p) +
                       " patches do not fit a stage output of " + out_shape.ToString()};
  }

  PatchPlan patch;
  patch.patches_per_side = p;
  patch.split_op = n;
  patch.stage_output = stage_output;
  patch.network_macs = graph.TotalMacs();
  for (int i = 0; i < n; ++i) patch.stage_macs += graph.Macs(graph.op(i));

  // Inside the stage tensors have patch-sized layouts that differ from op to op: a fused add
  // would write a region over a larger one, and the stage output is whole while its producer's
  // input is a patch, so neither shares a buffer. In-place depthwise only needs equal channels.
  PlanSizing sizing = WholeTensorSizing(graph, true, options.preserve);
  for (int i = 0; i < n; ++i) {
    if (sizing.fused[i] || graph.op(i).output == stage_output) Unshare(graph, sizing, i);
  }
  std::vector<int64_t> patch_bytes(graph.tensors().size(), 0);
  std::vector<int64_t> patch_scratch(n, 0);
  for (int row = 0; row < p; ++row) {
    for (int col = 0; col < p; ++col) {
      const core::Region tile{core::SplitEvenly(out_shape.h, p, row), core::SplitEvenly(out_shape.w, p, col)};
      std::vector<core::Region> regions = PatchRegions(graph, n, tile);
      for (int i = 0; i < n; ++i) {
        const core::Op& op = graph.op(i);
        const core::Tensor& out = graph.tensor(op.output);
        patch.patched_stage_macs += regions[op.output].Area() * graph.MacsPerOutputPixel(op);
        patch_bytes[op.output] = std::max(patch_bytes[op.output],
                                          regions[op.output].Area() * out.shape.c * core::BytesPerElement(out.dtype));
        const core::Region& in = regions[op.inputs[0]];
        const bool alias = sizing.writes_over[i] >= 0;
        patch_scratch[i] = std::max(patch_scratch[i], core::ScratchBytes(graph, op, core::KernelSet::kOptimized, alias,
                                                                         in.rows.size(), in.cols.size()));
      }
      patch.regions.push_back(std::move(regions));
    }
  }
  // Stage intermediates shrink to their largest patch; the input and the stage output stay whole
  // and live through the whole stage (every patch reads the one and writes the other).
  for (int i = 0; i < n; ++i) {
    const core::Op& op = graph.op(i);
    if (op.output != stage_output) sizing.tensor_bytes[op.output] = patch_bytes[op.output];
    sizing.scratch_bytes[i] = patch_scratch[i];
  }
  sizing.lifetimes[graph.input()].last = std::max(sizing.lifetimes[graph.input()].last, n - 1);
  sizing.lifetimes[stage_output].first = 0;

  MemoryPlan plan = AssemblePlan(graph, PlanMode::kPatch, options, sizing);
  plan.patch = std::move(patch);
  return plan;
}

}  // namespace

core::Result<MemoryPlan> PlanPatch(const core::Graph& graph, const PatchConfig& config, const PlanOptions& options) {
  const std::vector<int> splits = PatchSplitCandidates(graph);
  if (std::find(splits.begin(), splits.end(), config.split_op) == splits.end()) {
    return core::Error{"patch plan: cannot split after op " + std::to_string(config.split_op) +
                       " (needs spatially local ops before it and only op " + std::to_string(config.split_op - 1) +
                       "'s output read after it)"};
  }
  return PlanPatchAtCandidate(graph, config, options);
}

core::Result<MemoryPlan> PlanBestPatch(const core::Graph& graph, const PlanOptions& options,
                                       const PatchSearchOptions& search) {
  std::optional<MemoryPlan> best;
  // After the split every op sees the same buffers as in the inplace plan, so the inplace live
  // bytes from op n on bound any patch plan splitting at n from below.
  const std::vector<int64_t> live_after = PlanInPlace(graph, options).live_bytes;
  std::vector<int64_t> bound(live_after.size() + 1, 0);
  for (size_t t = live_after.size(); t-- > 0;) bound[t] = std::max(bound[t + 1], live_after[t]);
  for (int n : PatchSplitCandidates(graph)) {
    if (best && bound[n] > best->arena_bytes) continue;
    for (int p = 1; p <= search.max_patches_per_side; ++p) {
      core::Result<MemoryPlan> plan = PlanPatchAtCandidate(graph, {p, n}, options);
      if (!plan.ok()) continue;
      const PatchPlan& pp = *plan.value().patch;
      if (pp.ExtraMacFraction() > search.max_extra_mac_fraction) continue;
      const bool better = !best || plan.value().arena_bytes < best->arena_bytes ||
                          (plan.value().arena_bytes == best->arena_bytes && pp.ExtraMacs() < best->patch->ExtraMacs());
      if (better) best = std::move(plan).value();
    }
  }
  if (!best) return core::Error{"patch plan: the graph has no patchable first stage"};
  return std::move(*best);
}

core::Result<MemoryPlan> PlanForMode(const core::Graph& graph, PlanMode mode, const PlanOptions& options,
                                     const PatchSearchOptions& search) {
  switch (mode) {
    case PlanMode::kPerLayer:
      return PlanPerLayer(graph, options);
    case PlanMode::kInPlace:
      return PlanInPlace(graph, options);
    case PlanMode::kPatch:
      return PlanBestPatch(graph, options, search);
  }
  return core::Error{"unknown plan mode"};
}

MemoryPlan PlanDeployed(const core::Graph& graph, PlanMode mode, const PlanOptions& options,
                        const PatchSearchOptions& search) {
  if (mode != PlanMode::kPatch)
    return PlanForMode(graph, mode, options, search).value();  // whole-tensor plans cannot fail
  MemoryPlan in_place = PlanInPlace(graph, options);
  core::Result<MemoryPlan> patch = PlanForMode(graph, mode, options, search);
  if (patch.ok() && patch.value().arena_bytes < in_place.arena_bytes) return std::move(patch).value();
  return in_place;
}

}  // namespace kilonas::memory_planner
