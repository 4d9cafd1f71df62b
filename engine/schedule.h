// Schedule: the exact sequence of kernel calls that executes a Model with its MemoryPlan — which
// kernel, which arena offsets, which views and output rect. Patch-based execution unrolls the
// first stage once per patch with that patch's regions. The host interpreter runs it and the C
// code generator prints it, so both execute the same calls by construction.
#pragma once

#include <vector>

#include "engine/kernel_table.h"
#include "engine/model.h"
#include "kilonas_runtime.h"

namespace kilonas::engine {

inline constexpr int64_t kExternalInput = -1;  // offset of an input kept outside the arena

struct Step {
  int op = 0;
  Kernel kernel = Kernel::kNone;
  int64_t in = 0, in2 = 0, out = 0;  // arena offsets (in may be kExternalInput)
  int64_t scratch = -1;              // arena offset of the op's scratch, -1 when none
  kilonas_view in_view{}, in2_view{}, out_view{};
  kilonas_rect rect{};
};

struct Schedule {
  std::vector<Step> steps;
  int64_t arena_bytes = 0;
  int64_t input_offset = kExternalInput;  // where the network input is written
  int64_t output_offset = 0;
  int64_t input_bytes = 0, output_bytes = 0;
};

// Fails only for plans the engine cannot execute (a corrupted model).
core::Result<Schedule> BuildSchedule(const Model& model, const memory_planner::MemoryPlan& plan,
                                     KernelSet kernels = KernelSet::kOptimized);

// Kernel parameter blocks of op `index`, pointing into model.constants (which must outlive them).
// `channels`: the op's ChannelWords when its kernel reads them (UsesChannelWords), else null.
kilonas_conv_params ConvParams(const Model& model, int index, const int32_t* channels = nullptr);
// The constants `kernel` reads for op `index`, as the generated code stores them and the
// interpreter passes them: the weights padded to whole words (the SMLAD kernels read rows by
// words) and, for the kernels that read them (UsesChannelWords), the per-output-channel words
// (kilonas_conv_params.channels, KILONAS_CHANNEL_WORDS each): 2 x (bias + input offset x the
// channel's weight sum), multiplier, shift, exact in int32 (the model loader bounds |bias| +
// 256 x sum|w| below 2^30). The fully connected SMLAD kernel gets both in its own layout
// (kilonas_fully_connected_dsp_constants).
struct KernelConstants {
  std::vector<int8_t> weights;
  std::vector<int32_t> channels;  // empty unless the kernel reads them
};
KernelConstants ConstantsFor(const Model& model, int index, Kernel kernel);
// Add parameters; for a fused add (kernel kPointwiseAdd*) input1 is the residual.
kilonas_add_params AddParams(const Model& model, int add_index, int first_input);
kilonas_pool_params PoolParams(const Model& model, int index);
// Parameters of the add fused into projection `index` (the op after it), residual as input1.
kilonas_add_params FusedAddParams(const Model& model, int index);

}  // namespace kilonas::engine
