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
  // Plans memory for the model's execution config and builds the schedule.
  static core::Result<Interpreter> Create(const Model& model, KernelSet kernels = KernelSet::kOptimized);

  // Runs one inference on an int8 HWC input of the input tensor's size. Throws std::logic_error
  // if a kernel wrote past the planned arena (the canary bytes after it changed): a planner or
  // kernel bug, never a user error.
  std::vector<int8_t> Invoke(const std::vector<int8_t>& input);
  // The canary bytes right after the planned arena are as written at creation.
  bool ArenaIntact() const;

  int64_t arena_bytes() const { return schedule_.arena_bytes; }
  const memory_planner::MemoryPlan& plan() const { return plan_; }
  const Schedule& schedule() const { return schedule_; }

 private:
  // The parameter blocks point into `model`'s constants: the model must outlive the interpreter.
  Interpreter(const Model& model, memory_planner::MemoryPlan plan, Schedule schedule);
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
  std::vector<int32_t> arena_words_;  // 4-byte aligned: the arena, then canary bytes
};

}  // namespace kilonas::engine
