// MemoryPlan: where every activation and scratch buffer of a Graph lives in one SRAM arena, for
// three execution modes reported side by side:
//  per_layer  every tensor its own buffer, reference kernels, no in-place (TFLite Micro baseline);
//  inplace    depthwise output overwrites its input channel by channel (one padded channel of
//             scratch); a residual add is fused into the 1x1 projection that feeds it, which
//             writes over the residual; SMLAD kernels' scratch planned per op (TinyEngine style);
//  patch      inplace + the first stage run per spatial patch (MCUNetV2 style), see patch_plan.h.
// The engine executes with exactly this plan, so arena_bytes is the SRAM the firmware uses for
// activations. Buffers are placed by the greedy arena planner (arena_planner.h).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/graph.h"
#include "core/kernel_registry.h"
#include "memory_planner/arena_planner.h"
#include "memory_planner/lifetimes.h"

namespace kilonas::memory_planner {

enum class PlanMode { kPerLayer, kInPlace, kPatch };
std::string_view PlanModeName(PlanMode mode);
// Parses PlanModeName's form; errors list the modes.
core::Result<PlanMode> ParsePlanMode(std::string_view name);
// The kernels a mode runs: per_layer the reference kernels (they need no scratch), the others
// the optimized ones. The planner sizes scratch by it, the engine and the latency LUT key by it.
core::KernelSet KernelsOf(PlanMode mode);

struct PlanOptions {
  // true: the network input is an arena buffer (the frame the engine reads), counted in the peak.
  // false: it lives outside the arena (MCUNetV2's published figures exclude it).
  bool count_input = true;
  int64_t alignment = 4;
  // Tensors no op may write over (a training step reads them after the forward pass): the
  // in-place op reading one and the add fused over one run without sharing its buffer.
  std::vector<int> preserve;
};

enum class BufferKind { kActivation, kScratch };

struct PlannedBuffer {
  BufferKind kind = BufferKind::kActivation;
  std::string label;         // tensor names ("a=b" when aliased in place) or "scratch:<op>"
  std::vector<int> tensors;  // tensors stored here
  int op = -1;               // owner op of a scratch buffer
  BufferRequest request;
  int64_t offset = 0;
};

struct PatchPlan {
  int patches_per_side = 1;
  int split_op = 0;       // ops [0, split_op) run once per patch
  int stage_output = -1;  // tensor written patch by patch into one whole buffer
  // regions[patch][tensor]: the part of the tensor computed for that patch (row-major patches;
  // empty for tensors outside the stage). For the network input: the part read.
  std::vector<std::vector<core::Region>> regions;
  int64_t stage_macs = 0;          // the stage on whole tensors
  int64_t patched_stage_macs = 0;  // summed over patches: overlapping halos are recomputed
  int64_t network_macs = 0;
  int64_t ExtraMacs() const { return patched_stage_macs - stage_macs; }
  double ExtraMacFraction() const { return network_macs > 0 ? static_cast<double>(ExtraMacs()) / network_macs : 0.0; }
};

struct MemoryPlan {
  PlanMode mode = PlanMode::kPerLayer;
  PlanOptions options;
  std::vector<PlannedBuffer> buffers;
  std::vector<int> tensor_buffer;   // tensor -> buffer index, -1 when not in the arena
  std::vector<int> op_scratch;      // op -> scratch buffer index, -1 when none
  std::vector<int> op_writes_over;  // op -> tensor whose buffer its output overwrites, or -1
  std::vector<bool> op_fused;       // op -> an add already computed by its producer (no-op)
  std::vector<int64_t> live_bytes;  // per op: bytes of all buffers live at that op
  int64_t arena_bytes = 0;          // the arena size: peak SRAM of activations and scratch
  std::optional<PatchPlan> patch;

  int64_t MaxLiveBytes() const;  // lower bound on arena_bytes (equal without fragmentation)
  std::vector<BufferRequest> Requests() const;
  std::vector<int64_t> Offsets() const;
};

MemoryPlan PlanPerLayer(const core::Graph& graph, const PlanOptions& options = {});
MemoryPlan PlanInPlace(const core::Graph& graph, const PlanOptions& options = {});

// Planner invariant over a whole plan, plus every tensor/scratch mapping being consistent.
core::Status CheckPlan(const core::Graph& graph, const MemoryPlan& plan);

// True when op `index` may write its output over its input: the kind allows it, the input is not
// the graph input, and no later op reads the input.
bool InPlaceAllowed(const core::Graph& graph, const std::vector<Lifetime>& lifetimes, int index);

// For an add at `index` whose operand y comes from the op just before it (a kind that absorbs
// adds, y read by nothing else): the other operand x when no later op reads it and it is not the
// graph input, so the producer of y can write x + y over x. Otherwise -1.
int FusableResidual(const core::Graph& graph, const std::vector<Lifetime>& lifetimes, int index);

// What a mode decides before packing: byte sizes, lifetimes, scratch and aliases.
struct PlanSizing {
  std::vector<int64_t> tensor_bytes;
  std::vector<Lifetime> lifetimes;
  std::vector<int64_t> scratch_bytes;  // per op
  std::vector<int> writes_over;        // per op: tensor whose buffer its output overwrites, or -1
  std::vector<bool> fused;             // per op: add computed by its producer
};

// Whole-tensor sizing of a mode (per_layer: reference kernels, nothing shared; otherwise
// optimized kernels with in-place depthwise and fused residual adds, none over a `preserve`d
// tensor).
PlanSizing WholeTensorSizing(const core::Graph& graph, bool in_place, const std::vector<int>& preserve = {});

// Stops op `index` from sharing buffers (undoes an in-place depthwise or a fused add).
void Unshare(const core::Graph& graph, PlanSizing& sizing, int index);

// Merges aliased tensors into buffers, adds scratch buffers and packs them into the arena.
MemoryPlan AssemblePlan(const core::Graph& graph, PlanMode mode, const PlanOptions& options, const PlanSizing& sizing);

}  // namespace kilonas::memory_planner
