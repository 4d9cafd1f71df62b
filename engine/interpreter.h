// Host interpreter: runs a Model with the planner's MemoryPlan in one arena of exactly
// plan.arena_bytes, through the same C kernels and the same Schedule as the generated firmware,
// so its outputs are the firmware's outputs bit for bit.
#pragma once

#include <cstdint>
#include <vector>

#include "engine/model.h"
#include "engine/schedule.h"

namespace kilonas::engine {

class Interpreter {
 public:
  // Plans memory for the model's execution config and builds the schedule; the interpreter owns
  // its arena.
  static core::Result<Interpreter> Create(const Model& model, KernelSet kernels = KernelSet::kOptimized);
  // TFLite Micro style: runs in the caller's arena (a static buffer, one buffer per thread),
  // which must be 4-byte aligned, hold ArenaBytesNeeded(model) bytes and outlive the interpreter.
  static core::Result<Interpreter> CreateInArena(const Model& model, int8_t* arena, int64_t arena_size,
                                                 KernelSet kernels = KernelSet::kOptimized);
  // The bytes an arena for `model` needs: the planned arena and the canary bytes after it.
  static core::Result<int64_t> ArenaBytesNeeded(const Model& model, KernelSet kernels = KernelSet::kOptimized);

  // One interpreter per arena: a copy would write into the same bytes.
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;
  Interpreter(Interpreter&&) = default;
  Interpreter& operator=(Interpreter&&) = default;

  // Runs one inference on an int8 HWC input of the input tensor's size. Fails on an input of
  // another size, and when a kernel wrote past the planned arena (the canary bytes after it
  // changed): a planner or kernel bug, never a user error.
  core::Result<std::vector<int8_t>> Invoke(const std::vector<int8_t>& input);
  // The canary bytes right after the planned arena are as written at creation.
  bool ArenaIntact() const;

  int64_t arena_bytes() const { return schedule_.arena_bytes; }
  const memory_planner::MemoryPlan& plan() const { return plan_; }
  const Schedule& schedule() const { return schedule_; }

 private:
  // The parameter blocks point into `model`'s constants: the model must outlive the interpreter.
  // A null arena: the interpreter allocates its own.
  Interpreter(const Model& model, memory_planner::MemoryPlan plan, Schedule schedule, int8_t* arena);
  static core::Result<Interpreter> Build(const Model& model, KernelSet kernels, int8_t* arena, int64_t arena_size);
  struct Planned {  // what an interpreter runs: the validated model's plan and schedule
    memory_planner::MemoryPlan plan;
    Schedule schedule;
  };
  static core::Result<Planned> Plan(const Model& model, KernelSet kernels);
  static int64_t ArenaWithCanary(int64_t arena_bytes);
  void Run(const Step& step, const int8_t* input);

  memory_planner::MemoryPlan plan_;
  Schedule schedule_;
  std::vector<std::vector<int32_t>> channels_;  // ConstantsFor: channel words where the kernel reads them
  std::vector<std::vector<int8_t>> weights_;    // ConstantsFor: the weights as the kernel reads them
  std::vector<kilonas_conv_params> conv_;
  std::vector<kilonas_add_params> add_;
  std::vector<kilonas_pool_params> pool_;
  static constexpr int64_t kCanaryBytes = 16;
  static constexpr int8_t kCanary = 0x5A;
  std::vector<int32_t> owned_arena_;  // 4-byte aligned; empty when the caller owns the arena
  int8_t* arena_ = nullptr;           // the arena, then canary bytes up to ArenaWithCanary
};

}  // namespace kilonas::engine
