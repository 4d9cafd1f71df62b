#include "memory_planner/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace kilonas::memory_planner {
namespace {

int Find(std::vector<int>& parent, int x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

}  // namespace

std::string_view PlanModeName(PlanMode mode) {
  switch (mode) {
    case PlanMode::kPerLayer:
      return "per_layer";
    case PlanMode::kInPlace:
      return "inplace";
    case PlanMode::kPatch:
      return "patch";
  }
  return "per_layer";
}

core::Result<PlanMode> ParsePlanMode(std::string_view name) {
  for (PlanMode mode : {PlanMode::kPerLayer, PlanMode::kInPlace, PlanMode::kPatch}) {
    if (PlanModeName(mode) == name) return mode;
  }
  return core::Error{"unknown execution mode '" + std::string(name) + "' (per_layer, inplace or patch)"};
}

core::KernelSet KernelsOf(PlanMode mode) {
  return mode == PlanMode::kPerLayer ? core::KernelSet::kReference : core::KernelSet::kOptimized;
}

int64_t MemoryPlan::MaxLiveBytes() const {
  return live_bytes.empty() ? 0 : *std::max_element(live_bytes.begin(), live_bytes.end());
}

std::vector<BufferRequest> MemoryPlan::Requests() const {
  std::vector<BufferRequest> out;
  out.reserve(buffers.size());
  for (const PlannedBuffer& b : buffers) out.push_back(b.request);
  return out;
}

std::vector<int64_t> MemoryPlan::Offsets() const {
  std::vector<int64_t> out;
  out.reserve(buffers.size());
  for (const PlannedBuffer& b : buffers) out.push_back(b.offset);
  return out;
}

bool InPlaceAllowed(const core::Graph& graph, const std::vector<Lifetime>& lifetimes, int index) {
  const core::Op& op = graph.op(index);
  if (!core::Traits(op.kind).in_place_capable) return false;
  // The in-place kernels copy a channel into scratch with a ring of `padding` before it and
  // PaddingEnd() after it, the same for rows and columns; their output must fit in the input's
  // buffer (a PAD folded into a convolution can pad more than the window takes away).
  if (!op.SquareWindow() || op.PaddingWEnd() != op.PaddingEnd()) return false;
  if (graph.OutputOf(op).Bytes() > graph.InputOf(op).Bytes()) return false;
  const int input = op.inputs.at(0);
  if (input == graph.input() || input == graph.output()) return false;
  return lifetimes.at(input).last == index;
}

int FusableResidual(const core::Graph& graph, const std::vector<Lifetime>& lifetimes, int index) {
  const core::Op& op = graph.op(index);
  if (op.kind != core::OpKind::kAdd || index == 0) return -1;
  const core::Op& producer = graph.op(index - 1);
  if (!core::Traits(producer.kind).absorbs_add) return -1;
  for (int k = 0; k < 2; ++k) {
    const int y = op.inputs[k], x = op.inputs[1 - k];
    if (y != producer.output || x == y || x == graph.input()) continue;
    if (lifetimes.at(y).last == index && lifetimes.at(x).last == index) return x;
  }
  return -1;
}

PlanSizing WholeTensorSizing(const core::Graph& graph, bool in_place, const std::vector<int>& preserve) {
  PlanSizing sizing;
  sizing.lifetimes = ComputeLifetimes(graph);
  for (const core::Tensor& t : graph.tensors()) sizing.tensor_bytes.push_back(t.Bytes());
  const int num_ops = static_cast<int>(graph.ops().size());
  const core::KernelSet kernels = KernelsOf(in_place ? PlanMode::kInPlace : PlanMode::kPerLayer);
  sizing.writes_over.assign(num_ops, -1);
  sizing.fused.assign(num_ops, false);
  sizing.scratch_bytes.assign(num_ops, 0);
  for (int i = 0; i < num_ops; ++i) {
    const core::Op& op = graph.op(i);
    const bool alias = in_place && InPlaceAllowed(graph, sizing.lifetimes, i);
    if (alias) sizing.writes_over[i] = op.inputs[0];
    const core::Shape& in = graph.InputOf(op).shape;
    sizing.scratch_bytes[i] = core::ScratchBytes(graph, op, kernels, alias, in.h, in.w);
    const int residual = in_place ? FusableResidual(graph, sizing.lifetimes, i) : -1;
    if (residual >= 0) {
      sizing.fused[i] = true;
      sizing.writes_over[i] = residual;
      sizing.writes_over[i - 1] = residual;
    }
  }
  for (int i = 0; i < num_ops; ++i) {
    const int over = sizing.writes_over[i];
    if (over < 0 || std::find(preserve.begin(), preserve.end(), over) == preserve.end()) continue;
    const bool feeds_fused_add = i + 1 < num_ops && sizing.fused[i + 1];
    Unshare(graph, sizing, i);
    if (feeds_fused_add) Unshare(graph, sizing, i + 1);
  }
  return sizing;
}

void Unshare(const core::Graph& graph, PlanSizing& sizing, int index) {
  if (sizing.fused[index]) {
    sizing.fused[index] = false;
    sizing.writes_over[index - 1] = -1;
  } else if (sizing.writes_over[index] >= 0) {
    const core::Op& op = graph.op(index);
    const core::Shape& in = graph.InputOf(op).shape;
    sizing.scratch_bytes[index] = core::ScratchBytes(graph, op, core::KernelSet::kOptimized, false, in.h, in.w);
  }
  sizing.writes_over[index] = -1;
}

namespace {

// Size of a buffer shared by `members` at each op of its lifetime: the largest member live then.
void SetSegments(const std::vector<int>& members, const PlanSizing& sizing, BufferRequest& request) {
  request.segments.clear();
  for (int op = request.first; op <= request.last; ++op) {
    int64_t size = 0;
    for (int t : members) {
      const Lifetime& life = sizing.lifetimes[t];
      if (life.first <= op && op <= life.last) size = std::max(size, sizing.tensor_bytes[t]);
    }
    if (!request.segments.empty() && request.segments.back().size == size) {
      request.segments.back().last_op = op;
    } else {
      request.segments.push_back({op, size});
    }
  }
  if (request.segments.size() == 1) request.segments.clear();
}

}  // namespace

MemoryPlan AssemblePlan(const core::Graph& graph, PlanMode mode, const PlanOptions& options, const PlanSizing& sizing) {
  const int num_tensors = static_cast<int>(graph.tensors().size());
  const int num_ops = static_cast<int>(graph.ops().size());
  std::vector<int> parent(num_tensors);
  std::iota(parent.begin(), parent.end(), 0);
  for (int i = 0; i < num_ops; ++i) {
    const int shared = sizing.writes_over[i];
    if (shared >= 0) parent[Find(parent, graph.op(i).output)] = Find(parent, shared);
  }

  MemoryPlan plan;
  plan.mode = mode;
  plan.options = options;
  plan.tensor_buffer.assign(num_tensors, -1);
  plan.op_scratch.assign(num_ops, -1);
  plan.op_writes_over = sizing.writes_over;
  plan.op_fused = sizing.fused;
  std::vector<int> root_buffer(num_tensors, -1);
  for (int t = 0; t < num_tensors; ++t) {
    const Lifetime& life = sizing.lifetimes[t];
    if (!life.used() || (t == graph.input() && !options.count_input)) continue;
    const int root = Find(parent, t);
    if (root_buffer[root] < 0) {
      root_buffer[root] = static_cast<int>(plan.buffers.size());
      PlannedBuffer buffer;
      buffer.request = {0, life.first, life.last, {}};
      plan.buffers.push_back(buffer);
    }
    PlannedBuffer& buffer = plan.buffers[root_buffer[root]];
    buffer.tensors.push_back(t);
    buffer.label += (buffer.label.empty() ? "" : "=") + graph.tensor(t).name;
    buffer.request.size = std::max(buffer.request.size, sizing.tensor_bytes[t]);
    buffer.request.first = std::min(buffer.request.first, life.first);
    buffer.request.last = std::max(buffer.request.last, life.last);
    plan.tensor_buffer[t] = root_buffer[root];
  }
  for (PlannedBuffer& buffer : plan.buffers) {
    if (buffer.tensors.size() > 1) SetSegments(buffer.tensors, sizing, buffer.request);
  }
  for (int i = 0; i < num_ops; ++i) {
    if (sizing.scratch_bytes[i] <= 0) continue;
    PlannedBuffer buffer;
    buffer.kind = BufferKind::kScratch;
    buffer.label = "scratch:" + graph.op(i).name;
    buffer.op = i;
    buffer.request = {sizing.scratch_bytes[i], i, i, {}};
    plan.op_scratch[i] = static_cast<int>(plan.buffers.size());
    plan.buffers.push_back(buffer);
  }

  const std::vector<BufferRequest> requests = plan.Requests();
  // per_layer is the TFLite Micro baseline: its planner exactly.
  const ArenaStrategy strategy =
      mode == PlanMode::kPerLayer ? ArenaStrategy::kGreedyBySize : ArenaStrategy::kBestOfOrders;
  const ArenaLayout layout = PlanArena(requests, options.alignment, strategy);
  for (size_t b = 0; b < plan.buffers.size(); ++b) plan.buffers[b].offset = layout.offsets[b];
  plan.arena_bytes = layout.arena_bytes;
  plan.live_bytes = LiveBytesPerOp(requests, num_ops);
  return plan;
}

MemoryPlan PlanPerLayer(const core::Graph& graph, const PlanOptions& options) {
  return AssemblePlan(graph, PlanMode::kPerLayer, options, WholeTensorSizing(graph, false, options.preserve));
}

MemoryPlan PlanInPlace(const core::Graph& graph, const PlanOptions& options) {
  return AssemblePlan(graph, PlanMode::kInPlace, options, WholeTensorSizing(graph, true, options.preserve));
}

core::Status CheckPlan(const core::Graph& graph, const MemoryPlan& plan) {
  if (core::Status s = CheckNoOverlap(plan.Requests(), plan.Offsets()); !s.ok()) {
    return core::Status::Fail(std::string(PlanModeName(plan.mode)) + " plan: " + s.message());
  }
  for (const PlannedBuffer& b : plan.buffers) {
    if (b.offset % plan.options.alignment != 0) return core::Status::Fail("buffer '" + b.label + "' misaligned");
    if (b.offset + b.request.size > plan.arena_bytes) {
      return core::Status::Fail("buffer '" + b.label + "' ends past the arena");
    }
  }
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const core::Op& op = graph.op(static_cast<int>(i));
    for (int t : op.inputs) {
      if (plan.tensor_buffer[t] < 0 && !(t == graph.input() && !plan.options.count_input)) {
        return core::Status::Fail("tensor '" + graph.tensor(t).name + "' read by op '" + op.name + "' has no buffer");
      }
    }
    if (plan.tensor_buffer[op.output] < 0) {
      return core::Status::Fail("output of op '" + op.name + "' has no buffer");
    }
  }
  return core::Status::Ok();
}

}  // namespace kilonas::memory_planner
