// Which runtime kernel runs each op, and how it is called. The kernels are the lines of
// runtime/kilonas_kernels.inc (core/kernel_registry.h holds their facts); this adds the C function
// of each, whose signature fixes its call shape. The host interpreter, the C code generator and the
// op benchmark all call kernels through the shape, so a new kernel of an existing shape needs no
// change here.
#pragma once

#include <string_view>

#include "core/graph.h"
#include "core/kernel_registry.h"
#include "kilonas_runtime.h"
#include "memory_planner/memory_plan.h"

namespace kilonas::engine {

using Kernel = core::KernelId;
using KernelSet = core::KernelSet;

// The argument lists of the runtime's kernels.
enum class CallShape {
  kView,             // (conv params, in, in view, out, out view, rect)
  kViewScratch,      // the same + int16 scratch
  kFusedAdd,         // (conv params, add params, in, in view, residual, residual view, rect)
  kFusedAddScratch,  // the same + int16 scratch
  kInPlace,          // (conv params, buffer, in view, out view, rect, int8 scratch)
  kAdd,              // (add params, a, a view, b, b view, out, out view, rect)
  kPool,             // (pool params, in, pixels, channels, out)
  kDense,            // (conv params, in, inputs, out, outputs)
  kDenseScratch,     // the same + int16 scratch
};

struct KernelFunction {
  CallShape shape = CallShape::kView;
  void (*view)(const kilonas_conv_params*, const int8_t*, const kilonas_view*, int8_t*, const kilonas_view*,
               const kilonas_rect*) = nullptr;
  void (*view_scratch)(const kilonas_conv_params*, const int8_t*, const kilonas_view*, int8_t*, const kilonas_view*,
                       const kilonas_rect*, int16_t*) = nullptr;
  void (*fused_add)(const kilonas_conv_params*, const kilonas_add_params*, const int8_t*, const kilonas_view*, int8_t*,
                    const kilonas_view*, const kilonas_rect*) = nullptr;
  void (*fused_add_scratch)(const kilonas_conv_params*, const kilonas_add_params*, const int8_t*, const kilonas_view*,
                            int8_t*, const kilonas_view*, const kilonas_rect*, int16_t*) = nullptr;
  void (*in_place)(const kilonas_conv_params*, int8_t*, const kilonas_view*, const kilonas_view*, const kilonas_rect*,
                   int8_t*) = nullptr;
  void (*add)(const kilonas_add_params*, const int8_t*, const kilonas_view*, const int8_t*, const kilonas_view*,
              int8_t*, const kilonas_view*, const kilonas_rect*) = nullptr;
  void (*pool)(const kilonas_pool_params*, const int8_t*, int32_t, int32_t, int8_t*) = nullptr;
  void (*dense)(const kilonas_conv_params*, const int8_t*, int32_t, int8_t*, int32_t) = nullptr;
  void (*dense_scratch)(const kilonas_conv_params*, const int8_t*, int32_t, int8_t*, int32_t, int16_t*) = nullptr;
};

const KernelFunction& FunctionOf(Kernel kernel);  // kernel != kNone

// Everything a kernel call may take; each call shape reads its part.
struct KernelArgs {
  const kilonas_conv_params* conv = nullptr;
  const kilonas_add_params* add = nullptr;  // add, or the add fused into a projection
  const kilonas_pool_params* pool = nullptr;
  const int8_t* in = nullptr;  // in place: unused (the buffer is `out`)
  const kilonas_view* in_view = nullptr;
  const int8_t* in2 = nullptr;  // add's second operand
  const kilonas_view* in2_view = nullptr;
  int8_t* out = nullptr;  // in place: the buffer; fused add: the residual
  const kilonas_view* out_view = nullptr;
  const kilonas_rect* rect = nullptr;
  int8_t* scratch = nullptr;  // word aligned
};

// Calls `kernel` (!= kNone) with the arguments of its shape: the host's one dispatch.
void CallKernel(Kernel kernel, const KernelArgs& a);

// The kernel for an op of `kind` that does (or does not) write over another tensor's buffer, its
// weights stored as `weights` (core::FindKernel).
Kernel KernelFor(core::OpKind kind, bool writes_over, KernelSet set,
                 core::WeightLayout weights = core::WeightLayout::kInt8);

// The plan's mode fixes the kernels (memory_planner::KernelsOf: per_layer reserves no scratch,
// so it runs the reference kernels); `set` kReference forces them in the other modes too (to
// check that both give the same bits).
Kernel SelectKernel(const core::Graph& graph, const memory_planner::MemoryPlan& plan, int index,
                    KernelSet set = KernelSet::kOptimized);

std::string_view KernelSymbol(Kernel kernel);  // C function name in kilonas_runtime.h; "" for kNone

// The kernel reads kilonas_conv_params.channels (ChannelWords or a layout derived from them)
// instead of bias, multiplier and shift: the generated code stores one or the other.
bool UsesChannelWords(Kernel kernel);

// A kernel writing x + conv over the residual x (the add fused into it).
bool FusesAdd(Kernel kernel);
// A kernel writing its output over its input's buffer (in-place depthwise).
bool WorksInPlace(Kernel kernel);

}  // namespace kilonas::engine
