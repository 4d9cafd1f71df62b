#include "engine/interpreter.h"

#include <cstring>
#include <stdexcept>

namespace kilonas::engine {

core::Result<Interpreter> Interpreter::Create(const Model& model, KernelSet kernels) {
  if (core::Status s = ValidateModel(model); !s.ok()) return s.error();
  core::Result<memory_planner::MemoryPlan> plan = PlanModel(model);
  if (!plan.ok()) return plan.error();
  core::Result<Schedule> schedule = BuildSchedule(model, plan.value(), kernels);
  if (!schedule.ok()) return schedule.error();
  return Interpreter(model, std::move(plan).value(), std::move(schedule).value());
}

Interpreter::Interpreter(const Model& model, memory_planner::MemoryPlan plan, Schedule schedule)
    : plan_(std::move(plan)), schedule_(std::move(schedule)) {
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
  arena_words_.assign(static_cast<size_t>((schedule_.arena_bytes + kCanaryBytes + 3) / 4), 0);
  int8_t* bytes = reinterpret_cast<int8_t*>(arena_words_.data());
  std::memset(bytes + schedule_.arena_bytes, kCanary,
              arena_words_.size() * 4 - static_cast<size_t>(schedule_.arena_bytes));
}

bool Interpreter::ArenaIntact() const {
  const int8_t* bytes = reinterpret_cast<const int8_t*>(arena_words_.data());
  for (size_t i = static_cast<size_t>(schedule_.arena_bytes); i < arena_words_.size() * 4; ++i) {
    if (bytes[i] != kCanary) return false;
  }
  return true;
}

std::vector<int8_t> Interpreter::Invoke(const std::vector<int8_t>& input) {
  if (static_cast<int64_t>(input.size()) != schedule_.input_bytes) {
    throw std::invalid_argument("Interpreter::Invoke: input has the wrong size");
  }
  int8_t* arena = reinterpret_cast<int8_t*>(arena_words_.data());
  if (schedule_.input_offset != kExternalInput) std::memcpy(arena + schedule_.input_offset, input.data(), input.size());
  for (const Step& step : schedule_.steps) Run(step, input.data());
  if (!ArenaIntact()) throw std::logic_error("Interpreter::Invoke: a kernel wrote past the planned arena");
  const int8_t* out = arena + schedule_.output_offset;
  return std::vector<int8_t>(out, out + schedule_.output_bytes);
}

void Interpreter::Run(const Step& s, const int8_t* input) {
  if (s.kernel == Kernel::kNone) return;
  int8_t* arena = reinterpret_cast<int8_t*>(arena_words_.data());
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
