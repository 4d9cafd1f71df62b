// Flash estimate of a deployed int8 model: weights, biases, requantization parameters, the
// generated graph code and the engine's kernel code for the target core.
#pragma once

#include <cstdint>

#include "core/graph.h"
#include "core/hw_profile.h"

namespace kilonas::memory_planner {

// Per output channel: int32 multiplier + int32 shift (fixed-point requantization).
inline constexpr int64_t kRequantBytesPerChannel = 8;
// Generated code per op: the kernel call (~38 B of Thumb-2) plus its views, rect and parameter
// structs in .rodata (~128 B), measured on mbv2-w0.35 r64 for Cortex-M7 (nas_export output
// compiled with -O2). Patch-based stages repeat the calls per patch; not counted here.
inline constexpr int64_t kGraphCodeBytesPerOp = 160;

struct FlashEstimate {
  int64_t weight_bytes = 0;   // int8 weights
  int64_t bias_bytes = 0;     // int32 per output channel
  int64_t requant_bytes = 0;  // per-channel multiplier + shift
  int64_t graph_code_bytes = 0;
  int64_t runtime_code_bytes = 0;  // from the hw profile
  int64_t Total() const {
    return weight_bytes + bias_bytes + requant_bytes + graph_code_bytes + runtime_code_bytes;
  }
};

FlashEstimate EstimateFlash(const core::Graph& graph, int64_t runtime_code_bytes);

}  // namespace kilonas::memory_planner
