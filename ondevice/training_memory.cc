#include "ondevice/training_memory.h"

#include <algorithm>

#include "memory_planner/arena_planner.h"
#include "memory_planner/lifetimes.h"
#include "memory_planner/patch_plan.h"

namespace kilonas::ondevice {
namespace {

constexpr int64_t kAlignment = 4;
constexpr int64_t kFloatBytes = 4;

// The step's buffer requests with what each holds (TrainingLayout's slots).
struct Requests {
  std::vector<memory_planner::BufferRequest> requests;
  std::vector<std::pair<std::vector<int64_t> TrainingLayout::*, int>> slots;  // slot, tensor or op; null: plan's
  void Add(memory_planner::BufferRequest r, std::vector<int64_t> TrainingLayout::*slot, int id) {
    requests.push_back(std::move(r));
    slots.push_back({slot, id});
  }
};

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
                               const memory_planner::MemoryPlan& plan, Requests& req) {
  std::vector<memory_planner::BufferRequest>& out = req.requests;
  if (plan.tensor_buffer.size() != g.tensors().size())
    return core::Status::Fail("the forward plan is not of this graph");
  const size_t first = out.size();
  for (const memory_planner::PlannedBuffer& b : plan.buffers) req.Add(b.request, nullptr, -1);
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

// A buffer per forward tensor; the output of an op in `in_place` shares its input's (the one
// request covering both lifetimes), its slot filled from the input's by LayoutOf.
void AddForwardTensors(const core::Graph& g, const TrainingGraph& t, const Timeline& s, Requests& out, bool backward,
                       const std::vector<bool>& in_place) {
  const std::vector<memory_planner::Lifetime> lifetimes = memory_planner::ComputeLifetimes(g);
  std::vector<int> holder(g.tensors().size(), -1);  // the request index holding a tensor
  for (size_t x = 0; x < g.tensors().size(); ++x) {
    if (!lifetimes[x].used()) continue;
    const int producer = g.Producer(static_cast<int>(x));
    const int last = backward ? LastRead(g, t, s, static_cast<int>(x), lifetimes[x].last) : lifetimes[x].last;
    if (producer >= 0 && !in_place.empty() && in_place[static_cast<size_t>(producer)]) {
      memory_planner::BufferRequest& r = out.requests[static_cast<size_t>(holder[g.op(producer).inputs[0]])];
      r.last = std::max(r.last, last);
      holder[x] = holder[g.op(producer).inputs[0]];
      continue;
    }
    holder[x] = static_cast<int>(out.requests.size());
    out.Add({g.tensor(static_cast<int>(x)).Bytes(), lifetimes[x].first, last, {}}, &TrainingLayout::value,
            static_cast<int>(x));
  }
}

// fp32 gradients of tensors: written first by the latest consumer's backward step (the loss for
// the logits), read by the producer's.
void AddTensorGradients(const core::Graph& g, const TrainingGraph& t, const Timeline& s, Requests& out) {
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
    out.Add({g.tensor(x).shape.Elements() * kFloatBytes, first, s.backward[i], {}}, &TrainingLayout::gradient, x);
  }
}

// A gated op's bits: made with its output, read by its backward step.
void AddGates(const core::Graph& g, const TrainingGraph& t, const Timeline& s, Requests& out) {
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const int x = g.op(static_cast<int>(i)).output;
    if (t.gated[static_cast<size_t>(x)]) {
      out.Add({GateBytes(g.tensor(x).shape.Elements()), static_cast<int>(i), s.backward[i], {}}, &TrainingLayout::gate,
              static_cast<int>(i));
    }
  }
}

// Per trainable layer: its weight and bias gradients (living across the samples of a batch), and
// its parameters' SRAM copies (for the whole step).
int64_t AddParameters(const core::Graph& g, const TrainingGraph& t, const Timeline& s,
                      const TrainingMemoryOptions& options, Requests& out) {
  int64_t copies = 0;
  const bool batch = options.batch > 1;
  const auto copy = [&](int64_t bytes, std::vector<int64_t> TrainingLayout::*slot, int op) {
    out.Add({bytes, 0, s.updates, {}}, slot, op);
    copies += bytes;
  };
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const OpTraining& o = t.ops[i];
    const int op = static_cast<int>(i);
    const int first = batch ? 0 : s.backward[i];
    const int last = batch || !options.reorder ? s.updates : s.backward[i];
    if (o.weight_channels > 0) {
      out.Add({WeightGradientValues(g, op, o) * kFloatBytes, first, last, {}}, &TrainingLayout::weight_gradient, op);
      copy(g.WeightCount(g.op(op)), &TrainingLayout::weight_copy, op);
    }
    if (o.bias_grad) {
      const int64_t channels = g.OutputOf(g.op(op)).shape.c;
      out.Add({channels * kFloatBytes, first, last, {}}, &TrainingLayout::bias_gradient, op);
      copy(channels * 4, &TrainingLayout::bias_copy, op);
    }
  }
  return copies;
}

TrainingLayout LayoutOf(const core::Graph& g, const Requests& req, const memory_planner::ArenaLayout& arena) {
  TrainingLayout l;
  l.arena_bytes = arena.arena_bytes;
  using Slot = std::vector<int64_t> TrainingLayout::*;
  for (Slot slot : {&TrainingLayout::value, &TrainingLayout::gradient}) (l.*slot).assign(g.tensors().size(), -1);
  for (Slot slot : {&TrainingLayout::gate, &TrainingLayout::weight_gradient, &TrainingLayout::bias_gradient,
                    &TrainingLayout::weight_copy, &TrainingLayout::bias_copy, &TrainingLayout::scratch}) {
    (l.*slot).assign(g.ops().size(), -1);
  }
  for (size_t r = 0; r < req.slots.size(); ++r) {
    if (req.slots[r].first != nullptr)
      (l.*req.slots[r].first)[static_cast<size_t>(req.slots[r].second)] = arena.offsets[r];
  }
  return l;
}

int64_t Arena(const std::vector<memory_planner::BufferRequest>& requests) {
  return memory_planner::PlanArena(requests, kAlignment, memory_planner::ArenaStrategy::kBestOfOrders).arena_bytes;
}

int64_t MostLive(const std::vector<memory_planner::BufferRequest>& requests, int steps) {
  const std::vector<int64_t> live = memory_planner::LiveBytesPerOp(requests, steps);
  return live.empty() ? 0 : *std::max_element(live.begin(), live.end());
}

}  // namespace

std::vector<bool> TrainingInPlaceOps(const core::Graph& graph, const TrainingGraph& training) {
  const std::vector<memory_planner::Lifetime> lifetimes = memory_planner::ComputeLifetimes(graph);
  std::vector<bool> in_place(graph.ops().size(), false);
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const int input = graph.op(static_cast<int>(i)).inputs[0];
    in_place[i] = memory_planner::InPlaceAllowed(graph, lifetimes, static_cast<int>(i)) &&
                  !training.kept[static_cast<size_t>(input)];
  }
  return in_place;
}

int64_t WeightGradientValues(const core::Graph& graph, int index, const OpTraining& o) {
  const core::Op& op = graph.op(index);
  const int64_t channels = graph.OutputOf(op).shape.c;
  if (op.kind == core::OpKind::kDepthwiseConv2d) return graph.WeightCount(op);
  return graph.WeightCount(op) / channels * o.weight_channels;
}

core::Result<TrainingMemory> PlanTrainingMemory(const core::Graph& graph, const TrainingGraph& training,
                                                const TrainingMemoryOptions& options) {
  if (training.ops.size() != graph.ops().size()) return core::Error{"the training graph is not of this graph"};
  const Timeline steps = StepsOf(training);
  const std::vector<bool> in_place =
      options.in_place && !options.forward ? TrainingInPlaceOps(graph, training) : std::vector<bool>();
  TrainingMemory m;
  Requests forward;
  if (options.forward) {
    forward.requests = options.forward->Requests();
  } else {
    AddForwardTensors(graph, training, steps, forward, false, in_place);
  }
  m.inference_bytes = Arena(forward.requests);
  m.inference_live_bytes = MostLive(forward.requests, steps.updates + 1);
  Requests req;
  if (options.forward) {
    if (core::Status s = AddPlannedForward(graph, training, steps, *options.forward, req); !s.ok()) return s.error();
  } else {
    AddForwardTensors(graph, training, steps, req, true, in_place);
  }
  AddTensorGradients(graph, training, steps, req);
  AddGates(graph, training, steps, req);
  for (size_t i = 0; i < options.forward_scratch.size(); ++i) {
    const int op = static_cast<int>(i);
    if (options.forward_scratch[i] > 0) req.Add({options.forward_scratch[i], op, op, {}}, &TrainingLayout::scratch, op);
  }
  m.parameter_copy_bytes = AddParameters(graph, training, steps, options, req);
  const memory_planner::ArenaLayout layout =
      memory_planner::PlanArena(req.requests, kAlignment, memory_planner::ArenaStrategy::kBestOfOrders);
  if (core::Status s = memory_planner::CheckNoOverlap(req.requests, layout.offsets); !s.ok()) return s.error();
  m.peak_bytes = layout.arena_bytes;
  m.live_bytes = MostLive(req.requests, steps.updates + 1);
  m.kept_bytes = training.KeptBytes(graph);
  m.steps = steps.updates + (options.reorder ? 0 : 1);
  if (!options.forward) {
    m.layout = LayoutOf(graph, req, layout);
    m.layout.in_place = in_place.empty() ? std::vector<bool>(graph.ops().size(), false) : in_place;
    for (size_t i = 0; i < graph.ops().size(); ++i) {
      const core::Op& op = graph.op(static_cast<int>(i));
      if (m.layout.in_place[i]) m.layout.value[op.output] = m.layout.value[op.inputs[0]];
    }
  }
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
  core::Result<TrainingMemory> own = PlanTrainingMemory(graph, training, {reorder, nullptr, 1});
  if (!own.ok()) return own;
  const memory_planner::MemoryPlan forward = TrainableForwardPlan(graph, training, mode);
  core::Result<TrainingMemory> shared = PlanTrainingMemory(graph, training, {reorder, &forward, 1});
  if (shared.ok() && shared.value().peak_bytes < own.value().peak_bytes) return shared;
  return own;
}

}  // namespace kilonas::ondevice
