#include "engine/interpreter.h"

#include <cstring>
#include <string>

namespace kilonas::engine {

core::Result<Interpreter> Interpreter::Create(const Model& model, KernelSet kernels) {
  return Build(model, kernels, nullptr, 0);
}

core::Result<Interpreter> Interpreter::CreateInArena(const Model& model, int8_t* arena, int64_t arena_size,
                                                     KernelSet kernels) {
  if (arena == nullptr || reinterpret_cast<uintptr_t>(arena) % 4 != 0) {
    return core::Error{"the interpreter's arena must be a 4-byte aligned buffer"};
  }
  return Build(model, kernels, arena, arena_size);
}

core::Result<int64_t> Interpreter::ArenaBytesNeeded(const Model& model, KernelSet kernels) {
  core::Result<Planned> planned = Plan(model, kernels);
  if (!planned.ok()) return planned.error();
  return ArenaWithCanary(planned.value().schedule.arena_bytes);
}

core::Result<Interpreter::Planned> Interpreter::Plan(const Model& model, KernelSet kernels) {
  if (core::Status s = ValidateModel(model); !s.ok()) return s.error();
  core::Result<memory_planner::MemoryPlan> plan = PlanModel(model);
  if (!plan.ok()) return plan.error();
  core::Result<Schedule> schedule = BuildSchedule(model, plan.value(), kernels);
  if (!schedule.ok()) return schedule.error();
  return Planned{std::move(plan).value(), std::move(schedule).value()};
}

int64_t Interpreter::ArenaWithCanary(int64_t arena_bytes) { return (arena_bytes + kCanaryBytes + 3) / 4 * 4; }

core::Result<Interpreter> Interpreter::Build(const Model& model, KernelSet kernels, int8_t* arena, int64_t arena_size) {
  core::Result<Planned> planned = Plan(model, kernels);
  if (!planned.ok()) return planned.error();
  const int64_t needed = ArenaWithCanary(planned.value().schedule.arena_bytes);
  if (arena != nullptr && arena_size < needed) {
    return core::Error{"the interpreter's arena holds " + std::to_string(arena_size) + " bytes; this model needs " +
                       std::to_string(needed) + " (ArenaBytesNeeded)"};
  }
  return Interpreter(model, std::move(planned.value().plan), std::move(planned.value().schedule), arena);
}

Interpreter::Interpreter(const Model& model, memory_planner::MemoryPlan plan, Schedule schedule, int8_t* arena)
    : plan_(std::move(plan)), schedule_(std::move(schedule)), arena_(arena) {
  const int num_ops = static_cast<int>(model.graph.ops().size());
  std::vector<Kernel> kernel_of(num_ops, Kernel::kNone);
  for (const Step& s : schedule_.steps) kernel_of[s.op] = s.kernel;
  channels_.resize(num_ops);
  weights_.resize(num_ops);
  for (int i = 0; i < num_ops; ++i) {
    const core::Op& op = model.graph.op(i);
    KernelConstants k = ConstantsFor(model, i, kernel_of[i]);  // as the generated code stores them
    channels_[i] = std::move(k.channels);
    weights_[i] = std::move(k.weights);
    conv_.push_back(ConvParams(model, i, channels_[i].empty() ? nullptr : channels_[i].data()));
    conv_.back().weights = weights_[i].data();
    pool_.push_back(PoolParams(model, i));
    // A fused add's parameters live with the projection before it (residual first).
    if (core::Traits(op.kind).params == core::ParamBlock::kAdd) {
      add_.push_back(AddParams(model, i, op.inputs[0]));
    } else if (i + 1 < num_ops && plan_.op_fused[i + 1]) {
      add_.push_back(FusedAddParams(model, i));
    } else {
      add_.push_back({});
    }
  }
  // Exactly arena_bytes for the arena; every byte after it, up to the word boundary and
  // kCanaryBytes more, is a canary.
  const int64_t with_canary = ArenaWithCanary(schedule_.arena_bytes);
  if (arena_ == nullptr) {
    owned_arena_.assign(static_cast<size_t>(with_canary / 4), 0);
    arena_ = reinterpret_cast<int8_t*>(owned_arena_.data());
  }
  std::memset(arena_ + schedule_.arena_bytes, kCanary, static_cast<size_t>(with_canary - schedule_.arena_bytes));
}

bool Interpreter::ArenaIntact() const {
  for (int64_t i = schedule_.arena_bytes; i < ArenaWithCanary(schedule_.arena_bytes); ++i) {
    if (arena_[i] != kCanary) return false;
  }
  return true;
}

core::Result<std::vector<int8_t>> Interpreter::Invoke(const std::vector<int8_t>& input) {
  if (static_cast<int64_t>(input.size()) != schedule_.input_bytes) {
    return core::Error{"the input has " + std::to_string(input.size()) + " bytes; the model takes " +
                       std::to_string(schedule_.input_bytes)};
  }
  if (schedule_.input_offset != kExternalInput)
    std::memcpy(arena_ + schedule_.input_offset, input.data(), input.size());
  for (const Step& step : schedule_.steps) Run(step, input.data());
  if (!ArenaIntact()) return core::Error{"a kernel wrote past the planned arena (a planner or kernel bug)"};
  const int8_t* out = arena_ + schedule_.output_offset;
  return std::vector<int8_t>(out, out + schedule_.output_bytes);
}

void Interpreter::Run(const Step& s, const int8_t* input) {
  if (s.kernel == Kernel::kNone) return;
  int8_t* arena = arena_;
  KernelArgs args;
  args.conv = &conv_[s.op];
  args.add = &add_[s.op];
  args.pool = &pool_[s.op];
  args.in = s.in == kExternalInput ? input : arena + s.in;
  args.in_view = &s.in_view;
  args.in2 = s.in2 == kExternalInput ? input : arena + s.in2;
  args.in2_view = &s.in2_view;
  args.out = arena + s.out;
  args.out_view = &s.out_view;
  args.rect = &s.rect;
  args.scratch = s.scratch >= 0 ? arena + s.scratch : nullptr;
  CallKernel(s.kernel, args);
}

}  // namespace kilonas::engine
