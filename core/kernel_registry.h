// The registry of runtime kernel variants: the facts of every line of
// runtime/kilonas_kernels.inc (op kind, kernel sets, whether it writes over another
// tensor's buffer, weight layout, constants layout, scratch size) and the one rule that names a
// variant in LUT keys and code sizes. The planner sizes scratch, the LUT keys and the code-size
// measurement name calls, and the engine picks kernels through it; nothing else lists kernels.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.h"
#include "kilonas_runtime.h"

namespace kilonas::core {

enum class KernelSet {
  kReference,  // portable kernels reading int8 directly (TFLite Micro reference style)
  kOptimized,  // SMLAD kernels with q15 im2col columns and in-place depthwise (TinyEngine style)
};

// How the exporter stores an op's constants for a kernel (kilonas_kernels.inc explains each).
enum class KernelConstants { kNone, kPlain, kChannelWords, kFullyConnectedDsp, kWide };

enum class KernelId {
  kNone,  // no call: an add computed by the op before it
#define KILONAS_KERNEL(id, ...) k##id,
#include "kilonas_kernels.inc"
#undef KILONAS_KERNEL
};

struct KernelVariant {
  KernelId id = KernelId::kNone;
  std::string_view symbol;  // the C function
  OpKind kind = OpKind::kConv2d;
  bool reference = false, optimized = false;  // the kernel sets that run it
  bool writes_over = false;
  WeightLayout weights = WeightLayout::kInt8;
  KernelConstants constants = KernelConstants::kNone;
  bool word_rows = false;  // reads every weight row in whole words
  kilonas_scratch_fn scratch = nullptr;
  int max_kernel = 0, max_stride = 0;  // the largest window and stride it computes; 0: any
  bool RunsIn(KernelSet set) const { return set == KernelSet::kReference ? reference : optimized; }
};

// Every kernel of kilonas_kernels.inc, in its order.
const std::vector<KernelVariant>& AllKernels();
const KernelVariant& KernelInfo(KernelId id);  // id != kNone

// The kernel `set` runs for an op of `kind` that does (or does not) write over another tensor's
// buffer, its weights stored as `weights`; the reference kernels read int8 weights whatever the
// layout, and a kind without a kernel for the layout runs its int8 one. kNone when there is no
// call (an add fused into the op before it).
KernelId FindKernel(OpKind kind, KernelSet set, bool writes_over, WeightLayout weights = WeightLayout::kInt8);

// The bytes the exporter stores for `weights` int8 weights in `rows` rows of op `kernel`: whole
// words, and for a kernel that reads rows in whole words enough that the last row's read stays
// inside (kNone: the plain int8 count in whole words).
int64_t StoredWeightBytes(KernelId kernel, int64_t weights, int64_t rows);

// The largest kernel size and stride every kernel of `kind` computes (0: any): an op beyond them
// could not run in some mode, so the model loader refuses it.
int MaxKernelOf(OpKind kind);
int MaxStrideOf(OpKind kind);

// Whether `set` has a wide-weight kernel for `kind`: where the weight layout is a choice.
bool HasWideKernel(OpKind kind, KernelSet set);

// The backward kernels of on-device training (runtime/kilonas_train_kernels.inc): per op kind,
// the kernel that passes the gradient at its output on to its inputs, and the one that computes
// its weights' gradient.
enum class GradPart { kInput, kWeight };
enum class TrainKernelId {
  kNone,
#define KILONAS_TRAIN_KERNEL(id, ...) k##id,
#include "kilonas_train_kernels.inc"
#undef KILONAS_TRAIN_KERNEL
};
struct TrainKernel {
  TrainKernelId id = TrainKernelId::kNone;
  std::string_view symbol;
  OpKind kind = OpKind::kConv2d;
  GradPart part = GradPart::kInput;
  bool reads_input = false;  // reads the op's forward input, which the step then keeps
};
const std::vector<TrainKernel>& AllTrainKernels();
const TrainKernel& TrainKernelInfo(TrainKernelId id);  // id != kNone
// kNone where no kernel computes that part of the kind's backward step (a softmax's input
// gradient: a training step cannot pass a gradient through one inside the network).
TrainKernelId FindTrainKernel(OpKind kind, GradPart part);

// One kernel call's variant as the LUT keys and code sizes name it.
struct CallVariant {
  OpKind kind = OpKind::kConv2d;
  KernelSet kernels = KernelSet::kOptimized;
  bool writes_over = false;
  bool wide = false;
  // Tokens after the op kind: "ref" (reference set) or "wide", then "in_place" (a kind that works
  // in place) or "fused_add" (a kind that absorbs the add) when it writes over; "" for a plain
  // optimized kernel.
  std::string Tokens() const;
  // "depthwise_conv2d in_place", "pointwise_conv2d ref fused_add", "conv2d".
  std::string Name() const;
};

// Every (kernel, set that runs it) of the registry, in its order: what can be measured and keyed.
std::vector<CallVariant> AllCallVariants();
// The variant of `kind` whose Tokens() are `tokens`, if the registry has it.
std::optional<CallVariant> FindCallVariant(OpKind kind, std::string_view tokens);

// Scratch bytes of the kernel that runs an op of `kind` (FindKernel) when its input region is
// in_h x in_w x in_c with a square window padded by `padding` on every side: the runtime's
// scratch function of that kernel.
int64_t ScratchBytes(OpKind kind, int kernel, int padding, KernelSet kernels, bool writes_over, int in_h, int in_w,
                     int in_c, WeightLayout weights = WeightLayout::kInt8);
// The same for `op` of `graph`, with its own padding.
int64_t ScratchBytes(const Graph& graph, const Op& op, KernelSet kernels, bool writes_over, int in_h, int in_w);

}  // namespace kilonas::core
