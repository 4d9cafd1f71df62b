#include "engine/kernel_table.h"

#include <vector>

namespace kilonas::engine {
namespace {

// A KernelFunction of `shape` whose `member` is f.
template <auto member, CallShape shape, typename F>
KernelFunction BindAs(F f) {
  KernelFunction k;
  k.shape = shape;
  k.*member = f;
  return k;
}

// One overload per call shape: the function's signature picks its shape.
using K = KernelFunction;
K Bind(decltype(K::view) f) { return BindAs<&K::view, CallShape::kView>(f); }
K Bind(decltype(K::view_scratch) f) { return BindAs<&K::view_scratch, CallShape::kViewScratch>(f); }
K Bind(decltype(K::fused_add) f) { return BindAs<&K::fused_add, CallShape::kFusedAdd>(f); }
K Bind(decltype(K::fused_add_scratch) f) { return BindAs<&K::fused_add_scratch, CallShape::kFusedAddScratch>(f); }
K Bind(decltype(K::in_place) f) { return BindAs<&K::in_place, CallShape::kInPlace>(f); }
K Bind(decltype(K::add) f) { return BindAs<&K::add, CallShape::kAdd>(f); }
K Bind(decltype(K::pool) f) { return BindAs<&K::pool, CallShape::kPool>(f); }
K Bind(decltype(K::dense) f) { return BindAs<&K::dense, CallShape::kDense>(f); }
K Bind(decltype(K::dense_scratch) f) { return BindAs<&K::dense_scratch, CallShape::kDenseScratch>(f); }

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

bool WorksInPlace(Kernel kernel) { return kernel != Kernel::kNone && FunctionOf(kernel).shape == CallShape::kInPlace; }

}  // namespace kilonas::engine
