#include "ondevice/training_memory.h"

#include <algorithm>

#include "memory_planner/arena_planner.h"
#include "memory_planner/lifetimes.h"
#include "memory_planner/patch_plan.h"

namespace kilonas::ondevice {
namespace {

constexpr int64_t kAlignment = 4;
constexpr int64_t kFloatBytes = 4;

// The step timeline: forward op i at step i, the loss at n, each backward op after it in reverse
// order (-1: none), the updates of an unreordered step last.
struct Timeline {
  std::vector<int> backward;
  int loss = 0, updates = 0;
};

Timeline StepsOf(const TrainingGraph& t) {
  Timeline s;
  const int n = static_cast<int>(t.ops.size());
  s.loss = n;
  s.backward.assign(t.ops.size(), -1);
  int step = n + 1;
  for (int i = n - 1; i >= 0; --i) {
    if (t.ops[static_cast<size_t>(i)].Backward()) s.backward[static_cast<size_t>(i)] = step++;
  }
  s.updates = step;
  return s;
}

// The last step that reads forward tensor x: its last forward reader, or a backward step.
int LastRead(const core::Graph& g, const TrainingGraph& t, const Timeline& s, int x, int forward_last) {
  int last = forward_last;
  if (x == t.loss_tensor) last = std::max(last, s.loss);
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const core::Op& op = g.op(static_cast<int>(i));
    const OpTraining& o = t.ops[i];
    const bool weight_input = BackwardReadsInput(op.kind, o) && op.inputs[0] == x;
    if (weight_input || (o.mask && op.output == x && t.kept[static_cast<size_t>(x)])) {
      last = std::max(last, s.backward[i]);
    }
  }
  return last;
}

// The inference plan's buffers, those of kept tensors living until their backward reader. A kept
// tensor must be whole and the last one its buffer holds.
core::Status AddPlannedForward(const core::Graph& g, const TrainingGraph& t, const Timeline& s,
                               const memory_planner::MemoryPlan& plan,
                               std::vector<memory_planner::BufferRequest>& out) {
  if (plan.tensor_buffer.size() != g.tensors().size())
    return core::Status::Fail("the forward plan is not of this graph");
  const size_t first = out.size();
  for (const memory_planner::PlannedBuffer& b : plan.buffers) out.push_back(b.request);
  for (size_t x = 0; x < g.tensors().size(); ++x) {
    if (!t.kept[x]) continue;
    const int b = plan.tensor_buffer[x];
    const std::string name = g.tensor(static_cast<int>(x)).name;
    if (b < 0) return core::Status::Fail("tensor '" + name + "', which the backward pass reads, is not in the arena");
    const memory_planner::PlannedBuffer& buffer = plan.buffers[static_cast<size_t>(b)];
    if (buffer.tensors.back() != static_cast<int>(x)) {
      return core::Status::Fail("the forward plan writes over tensor '" + name + "', which the backward pass reads");
    }
    if (buffer.request.size < g.tensor(static_cast<int>(x)).Bytes()) {
      return core::Status::Fail("the forward plan holds tensor '" + name +
                                "' patch by patch; the backward pass reads it");
    }
    memory_planner::BufferRequest& r = out[first + static_cast<size_t>(b)];
    r.last = std::max(r.last, LastRead(g, t, s, static_cast<int>(x), r.last));
    if (!r.segments.empty()) r.segments.back().last_op = r.last;
  }
  return core::Status::Ok();
}

void AddForwardTensors(const core::Graph& g, const TrainingGraph& t, const Timeline& s,
                       std::vector<memory_planner::BufferRequest>& out, bool backward) {
  const std::vector<memory_planner::Lifetime> lifetimes = memory_planner::ComputeLifetimes(g);
  for (size_t x = 0; x < g.tensors().size(); ++x) {
    if (!lifetimes[x].used()) continue;
    const int last = backward ? LastRead(g, t, s, static_cast<int>(x), lifetimes[x].last) : lifetimes[x].last;
    out.push_back({g.tensor(static_cast<int>(x)).Bytes(), lifetimes[x].first, last, {}});
  }
}

// fp32 gradients of tensors: written first by the latest consumer's backward step (the loss for
// the logits), read by the producer's.
void AddTensorGradients(const core::Graph& g, const TrainingGraph& t, const Timeline& s,
                        std::vector<memory_planner::BufferRequest>& out) {
  for (size_t i = 0; i < g.ops().size(); ++i) {
    if (!t.ops[i].Backward()) continue;
    const int x = g.op(static_cast<int>(i)).output;
    int first = x == t.loss_tensor ? s.loss : s.updates;
    for (size_t c = 0; c < g.ops().size(); ++c) {
      const core::Op& op = g.op(static_cast<int>(c));
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        if (op.inputs[k] == x && t.ops[c].input_grad[k]) first = std::min(first, s.backward[c]);
      }
    }
    out.push_back({g.tensor(x).shape.Elements() * kFloatBytes, first, s.backward[i], {}});
  }
}

// A gated op's bits: made with its output, read by its backward step.
void AddGates(const core::Graph& g, const TrainingGraph& t, const Timeline& s,
              std::vector<memory_planner::BufferRequest>& out) {
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const int x = g.op(static_cast<int>(i)).output;
    if (t.gated[static_cast<size_t>(x)])
      out.push_back({GateBytes(g.tensor(x).shape.Elements()), static_cast<int>(i), s.backward[i], {}});
  }
}

// Per trainable layer: its weight and bias gradients, and its parameters' SRAM copy.
int64_t AddParameters(const core::Graph& g, const TrainingGraph& t, const Timeline& s, bool reorder,
                      std::vector<memory_planner::BufferRequest>& out) {
  int64_t copies = 0;
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const OpTraining& o = t.ops[i];
    if (o.weight_channels == 0 && !o.bias_grad) continue;
    const core::Op& op = g.op(static_cast<int>(i));
    const int channels = g.OutputOf(op).shape.c;
    const int64_t weights = g.WeightCount(op) / channels * o.weight_channels, biases = o.bias_grad ? channels : 0;
    out.push_back({(weights + biases) * kFloatBytes, s.backward[i], reorder ? s.backward[i] : s.updates, {}});
    const int64_t copy = weights + biases * 4;
    out.push_back({copy, 0, s.updates, {}});
    copies += copy;
  }
  return copies;
}

int64_t Arena(const std::vector<memory_planner::BufferRequest>& requests) {
  return memory_planner::PlanArena(requests, kAlignment, memory_planner::ArenaStrategy::kBestOfOrders).arena_bytes;
}

int64_t MostLive(const std::vector<memory_planner::BufferRequest>& requests, int steps) {
  const std::vector<int64_t> live = memory_planner::LiveBytesPerOp(requests, steps);
  return live.empty() ? 0 : *std::max_element(live.begin(), live.end());
}

}  // namespace

core::Result<TrainingMemory> PlanTrainingMemory(const core::Graph& graph, const TrainingGraph& training,
                                                const TrainingMemoryOptions& options) {
  if (training.ops.size() != graph.ops().size()) return core::Error{"the training graph is not of this graph"};
  const Timeline steps = StepsOf(training);
  TrainingMemory m;
  std::vector<memory_planner::BufferRequest> forward;
  if (options.forward) {
    forward = options.forward->Requests();
  } else {
    AddForwardTensors(graph, training, steps, forward, false);
  }
  m.inference_bytes = Arena(forward);
  m.inference_live_bytes = MostLive(forward, steps.updates + 1);
  std::vector<memory_planner::BufferRequest> requests;
  if (options.forward) {
    if (core::Status s = AddPlannedForward(graph, training, steps, *options.forward, requests); !s.ok()) {
      return s.error();
    }
  } else {
    AddForwardTensors(graph, training, steps, requests, true);
  }
  AddTensorGradients(graph, training, steps, requests);
  AddGates(graph, training, steps, requests);
  m.parameter_copy_bytes = AddParameters(graph, training, steps, options.reorder, requests);
  const memory_planner::ArenaLayout layout =
      memory_planner::PlanArena(requests, kAlignment, memory_planner::ArenaStrategy::kBestOfOrders);
  if (core::Status s = memory_planner::CheckNoOverlap(requests, layout.offsets); !s.ok()) return s.error();
  m.peak_bytes = layout.arena_bytes;
  m.live_bytes = MostLive(requests, steps.updates + 1);
  m.kept_bytes = training.KeptBytes(graph);
  m.steps = steps.updates + (options.reorder ? 0 : 1);
  return m;
}

memory_planner::MemoryPlan TrainableForwardPlan(const core::Graph& graph, const TrainingGraph& training,
                                                memory_planner::PlanMode mode) {
  memory_planner::PlanOptions options;
  for (size_t x = 0; x < training.kept.size(); ++x) {
    if (training.kept[x]) options.preserve.push_back(static_cast<int>(x));
  }
  return memory_planner::PlanDeployed(graph, mode, options);
}

core::Result<TrainingMemory> PlanTrainingStep(const core::Graph& graph, const TrainingGraph& training,
                                              memory_planner::PlanMode mode, bool reorder) {
  core::Result<TrainingMemory> own = PlanTrainingMemory(graph, training, {reorder, nullptr});
  if (!own.ok()) return own;
  const memory_planner::MemoryPlan forward = TrainableForwardPlan(graph, training, mode);
  core::Result<TrainingMemory> shared = PlanTrainingMemory(graph, training, {reorder, &forward});
  if (shared.ok() && shared.value().peak_bytes < own.value().peak_bytes) return shared;
  return own;
}

}  // namespace kilonas::ondevice
