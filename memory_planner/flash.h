// Flash estimate of a deployed int8 model: weights, biases and requantization parameters, the
// generated graph code (parameter structs per op; call instructions, views and rect per kernel
// call, so patch stages pay per patch) and the runtime kernels the plan calls, for one core.
// The code figures are measured from cross-compiled firmware (nas_profile code-size) and stored
// per core in hw_profiles/code_size/<core>.json; the estimate is an upper bound of the model's
// linked flash (firmware minus the same firmware with a stub model), tested within 3%.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/graph.h"
#include "core/kernel_registry.h"
#include "core/status.h"
#include "memory_planner/memory_plan.h"

namespace kilonas::memory_planner {

// Per output channel: int32 multiplier + int32 shift (fixed-point requantization).
inline constexpr int64_t kRequantBytesPerChannel = 8;

struct CodeSize {
  std::string core;    // -mcpu the figures were measured for
  std::string source;  // how: compiler, flags, date
  // Runtime code: the functions (and their constants) a kernel variant (KernelVariantName) pulls
  // into the image, and each one's size. A plan pays for the union over the variants it calls,
  // so helpers shared by several kernels count once.
  std::map<std::string, std::vector<std::string>> kernel_functions;
  std::map<std::string, int64_t> function_bytes;
  int64_t conv_params_bytes = 0;  // kilonas_conv_params of an op with weights
  int64_t add_params_bytes = 0;   // kilonas_add_params of an add (or a projection with the add fused)
  int64_t pool_params_bytes = 0;  // kilonas_pool_params
  int64_t call_bytes = 0;         // per kernel call: instructions, views and rect (fitted slope)
  int64_t model_base_bytes = 0;   // invoke prologue, input/output accessors (the fit's intercept,
                                  // raised until every measured model is bounded)
};

struct FlashEstimate {
  int64_t weight_bytes = 0;   // int8 weights, each array padded to 4 bytes (wide: int16)
  int64_t bias_bytes = 0;     // int32 per output channel
  int64_t requant_bytes = 0;  // per-channel multiplier + shift
  int64_t graph_code_bytes = 0;
  int64_t runtime_code_bytes = 0;  // functions of the kernels the plan calls
  int64_t Total() const { return weight_bytes + bias_bytes + requant_bytes + graph_code_bytes + runtime_code_bytes; }
};

// The constants alone (weights, bias, requantization parameters): what any engine must store,
// wide weights (core::WeightLayout::kWide) as stored where `kernels` run them (the reference
// kernels read int8 weights).
FlashEstimate EstimateDataFlash(const core::Graph& graph, core::KernelSet kernels = core::KernelSet::kOptimized);
// One op's part of it, its weights stored wide or not; wide channel records hold one word more
// (the rounding term with the zero point).
FlashEstimate OpDataFlash(const core::Graph& graph, const core::Op& op, core::KernelSet kernels, bool wide);
// Pointwise weights stored wide: int16, Cin rounded up to whole groups of four.
int64_t WideWeightBytes(int in_channels, int out_channels);
// Errors name a kernel variant the plan calls that `code` has no figure for.
core::Result<FlashEstimate> EstimateFlash(const core::Graph& graph, const MemoryPlan& plan, const CodeSize& code);

// hw_profiles/code_size/<core>.json: strict JSON, errors name the file and key.
core::Result<CodeSize> ParseCodeSize(const std::string& text, const std::string& source);
core::Result<CodeSize> LoadCodeSize(const std::string& path);
std::string CodeSizeToJson(const CodeSize& code);

}  // namespace kilonas::memory_planner
