#include "core/kernel_registry.h"

namespace kilonas::core {

const std::vector<KernelVariant>& AllKernels() {
  static const std::vector<KernelVariant> kKernels = {
#define KILONAS_KERNEL(id, function, op, ref, opt, writes_over, weights, constants, word_rows, scratch, max_kernel, \
                       max_stride)                                                                                  \
  {KernelId::k##id,                                                                                                 \
   #function,                                                                                                       \
   OpKind::k##op,                                                                                                   \
   ref != 0,                                                                                                        \
   opt != 0,                                                                                                        \
   writes_over != 0,                                                                                                \
   WeightLayout::k##weights,                                                                                        \
   KernelConstants::k##constants,                                                                                   \
   word_rows != 0,                                                                                                  \
   &scratch,                                                                                                        \
   max_kernel,                                                                                                      \
   max_stride},
#include "kilonas_kernels.inc"
#undef KILONAS_KERNEL
  };
  return kKernels;
}

const KernelVariant& KernelInfo(KernelId id) { return AllKernels().at(static_cast<size_t>(id) - 1); }

KernelId FindKernel(OpKind kind, KernelSet set, bool writes_over, WeightLayout weights) {
  if (set == KernelSet::kReference) weights = WeightLayout::kInt8;
  for (WeightLayout layout : {weights, WeightLayout::kInt8}) {
    for (const KernelVariant& k : AllKernels()) {
      if (k.kind == kind && k.RunsIn(set) && k.writes_over == writes_over && k.weights == layout) return k.id;
    }
  }
  return KernelId::kNone;
}

int64_t StoredWeightBytes(KernelId kernel, int64_t weights, int64_t rows) {
  const auto align4 = [](int64_t v) { return (v + 3) / 4 * 4; };
  if (kernel == KernelId::kNone || !KernelInfo(kernel).word_rows || rows <= 0) return align4(weights);
  const int64_t row = weights / rows;
  return align4(weights - row + align4(row));
}

namespace {

// The smallest non-zero `limit` of the kernels of `kind` (0 when none limits it).
int SmallestLimit(OpKind kind, int KernelVariant::*limit) {
  int smallest = 0;
  for (const KernelVariant& k : AllKernels()) {
    if (k.kind == kind && k.*limit > 0 && (smallest == 0 || k.*limit < smallest)) smallest = k.*limit;
  }
  return smallest;
}

}  // namespace

int MaxKernelOf(OpKind kind) { return SmallestLimit(kind, &KernelVariant::max_kernel); }
int MaxStrideOf(OpKind kind) { return SmallestLimit(kind, &KernelVariant::max_stride); }

bool HasWideKernel(OpKind kind, KernelSet set) {
  const KernelId wide = FindKernel(kind, set, false, WeightLayout::kWide);
  return wide != KernelId::kNone && KernelInfo(wide).weights == WeightLayout::kWide;
}

std::string CallVariant::Tokens() const {
  std::string tokens = kernels == KernelSet::kReference ? "ref" : (wide ? "wide" : "");
  if (writes_over) {
    if (!tokens.empty()) tokens += " ";
    tokens += Traits(kind).in_place_capable ? "in_place" : "fused_add";
  }
  return tokens;
}

std::string CallVariant::Name() const {
  const std::string tokens = Tokens();
  return std::string(Traits(kind).name) + (tokens.empty() ? "" : " " + tokens);
}

const std::vector<TrainKernel>& AllTrainKernels() {
  static const std::vector<TrainKernel> kKernels = {
#define KILONAS_TRAIN_KERNEL(id, function, op, part, reads_input) \
  {TrainKernelId::k##id, #function, OpKind::k##op, GradPart::k##part, reads_input != 0},
#include "kilonas_train_kernels.inc"
#undef KILONAS_TRAIN_KERNEL
  };
  return kKernels;
}

const TrainKernel& TrainKernelInfo(TrainKernelId id) { return AllTrainKernels().at(static_cast<size_t>(id) - 1); }

TrainKernelId FindTrainKernel(OpKind kind, GradPart part) {
  for (const TrainKernel& k : AllTrainKernels()) {
    if (k.kind == kind && k.part == part) return k.id;
  }
  return TrainKernelId::kNone;
}

std::vector<CallVariant> AllCallVariants() {
  std::vector<CallVariant> variants;
  for (const KernelVariant& k : AllKernels()) {
    for (KernelSet set : {KernelSet::kReference, KernelSet::kOptimized}) {
      if (k.RunsIn(set)) variants.push_back({k.kind, set, k.writes_over, k.weights == WeightLayout::kWide});
    }
  }
  return variants;
}

std::optional<CallVariant> FindCallVariant(OpKind kind, std::string_view tokens) {
  for (const CallVariant& v : AllCallVariants()) {
    if (v.kind == kind && v.Tokens() == tokens) return v;
  }
  return std::nullopt;
}

namespace {
int64_t Scratch(OpKind kind, KernelSet kernels, bool writes_over, WeightLayout weights,
                const kilonas_scratch_query& query) {
  const KernelId id = FindKernel(kind, kernels, writes_over, weights);
  return id == KernelId::kNone ? 0 : KernelInfo(id).scratch(&query);
}
}  // namespace

int64_t ScratchBytes(OpKind kind, int kernel, int padding, KernelSet kernels, bool writes_over, int in_h, int in_w,
                     int in_c, WeightLayout weights) {
  return Scratch(kind, kernels, writes_over, weights, {kernel, padding, in_h, in_w, in_c, kernel, padding});
}

int64_t ScratchBytes(const Graph& graph, const Op& op, KernelSet kernels, bool writes_over, int in_h, int in_w) {
  return Scratch(op.kind, kernels, writes_over, op.weights,
                 {op.kernel, op.padding, in_h, in_w, graph.InputOf(op).shape.c, op.KernelW(), op.PaddingEnd()});
}

}  // namespace kilonas::core
