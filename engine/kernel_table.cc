#include "engine/kernel_table.h"

#include <vector>

namespace kilonas::engine {
namespace {

// One overload per call shape: the function's signature picks its shape.
KernelFunction Bind(decltype(KernelFunction::view) f) { return {CallShape::kView, f}; }
KernelFunction Bind(decltype(KernelFunction::view_scratch) f) {
  KernelFunction k{CallShape::kViewScratch};
  k.view_scratch = f;
  return k;
}
KernelFunction Bind(decltype(KernelFunction::fused_add) f) {
  KernelFunction k{CallShape::kFusedAdd};
  k.fused_add = f;
  return k;
}
KernelFunction Bind(decltype(KernelFunction::fused_add_scratch) f) {
  KernelFunction k{CallShape::kFusedAddScratch};
  k.fused_add_scratch = f;
  return k;
}
KernelFunction Bind(decltype(KernelFunction::in_place) f) {
  KernelFunction k{CallShape::kInPlace};
  k.in_place = f;
  return k;
}
KernelFunction Bind(decltype(KernelFunction::add) f) {
  KernelFunction k{CallShape::kAdd};
  k.add = f;
  return k;
}
KernelFunction Bind(decltype(KernelFunction::pool) f) {
  KernelFunction k{CallShape::kPool};
  k.pool = f;
  return k;
}
KernelFunction Bind(decltype(KernelFunction::dense) f) {
  KernelFunction k{CallShape::kDense};
  k.dense = f;
  return k;
}
KernelFunction Bind(decltype(KernelFunction::dense_scratch) f) {
  KernelFunction k{CallShape::kDenseScratch};
  k.dense_scratch = f;
  return k;
}

const std::vector<KernelFunction>& Functions() {
  static const std::vector<KernelFunction> kFunctions = {
#define KILONAS_KERNEL(id, function, ...) Bind(&function),
#include "kilonas_kernels.inc"
#undef KILONAS_KERNEL
  };
  return kFunctions;
}

}  // namespace

const KernelFunction& FunctionOf(Kernel kernel) { return Functions().at(static_cast<size_t>(kernel) - 1); }

void CallKernel(Kernel kernel, const KernelArgs& a) {
  const KernelFunction& f = FunctionOf(kernel);
  int16_t* const scratch16 = reinterpret_cast<int16_t*>(a.scratch);
  const kilonas_view& iv = *a.in_view;
  const int32_t in_n = iv.h * iv.w * iv.c;
  switch (f.shape) {
    case CallShape::kView:
      f.view(a.conv, a.in, a.in_view, a.out, a.out_view, a.rect);
      break;
    case CallShape::kViewScratch:
      f.view_scratch(a.conv, a.in, a.in_view, a.out, a.out_view, a.rect, scratch16);
      break;
    case CallShape::kFusedAdd:
      f.fused_add(a.conv, a.add, a.in, a.in_view, a.out, a.out_view, a.rect);
      break;
    case CallShape::kFusedAddScratch:
      f.fused_add_scratch(a.conv, a.add, a.in, a.in_view, a.out, a.out_view, a.rect, scratch16);
      break;
    case CallShape::kInPlace:
      f.in_place(a.conv, a.out, a.in_view, a.out_view, a.rect, a.scratch);
      break;
    case CallShape::kAdd:
      f.add(a.add, a.in, a.in_view, a.in2, a.in2_view, a.out, a.out_view, a.rect);
      break;
    case CallShape::kPool:
      f.pool(a.pool, a.in, iv.h * iv.w, iv.c, a.out);
      break;
    case CallShape::kDense:
      f.dense(a.conv, a.in, in_n, a.out, a.out_view->c);
      break;
    case CallShape::kDenseScratch:
      f.dense_scratch(a.conv, a.in, in_n, a.out, a.out_view->c, scratch16);
      break;
  }
}

Kernel KernelFor(core::OpKind kind, bool writes_over, KernelSet set, core::WeightLayout weights) {
  return core::FindKernel(kind, set, writes_over, weights);
}

Kernel SelectKernel(const core::Graph& graph, const memory_planner::MemoryPlan& plan, int index, KernelSet set) {
  const bool reference = set == KernelSet::kReference || memory_planner::KernelsOf(plan.mode) == KernelSet::kReference;
  const core::Op& op = graph.op(index);
  return KernelFor(op.kind, plan.op_writes_over.at(index) >= 0,
                   reference ? KernelSet::kReference : KernelSet::kOptimized, op.weights);
}

std::string_view KernelSymbol(Kernel kernel) {
  return kernel == Kernel::kNone ? std::string_view() : core::KernelInfo(kernel).symbol;
}

bool UsesChannelWords(Kernel kernel) {
  if (kernel == Kernel::kNone) return false;
  switch (core::KernelInfo(kernel).constants) {
    case core::KernelConstants::kChannelWords:
    case core::KernelConstants::kFullyConnectedDsp:
    case core::KernelConstants::kWide:
      return true;
    case core::KernelConstants::kNone:
    case core::KernelConstants::kPlain:
      return false;
  }
  return false;
}

bool FusesAdd(Kernel kernel) {
  if (kernel == Kernel::kNone) return false;
  const CallShape shape = FunctionOf(kernel).shape;
  return shape == CallShape::kFusedAdd || shape == CallShape::kFusedAddScratch;
}

}  // namespace kilonas::engine
