#include "latency_models/space_keys.h"

#include <algorithm>
#include <unordered_set>

#include "core/plain_cnn.h"
#include "memory_planner/patch_plan.h"

namespace kilonas::latency_models {
namespace {

void AddGraphCalls(const core::Result<core::Graph>& graph, memory_planner::PlanMode mode,
                   std::unordered_set<OpKey, OpKeyHash>& keys) {
  if (!graph.ok()) return;
  const memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(graph.value(), mode);
  for (OpKey key : ExecutedCalls(graph.value(), plan)) {
    keys.insert(key);
    // A call whose kind has a wide-weight kernel may also run with wide weights (ChooseWeightLayouts).
    if (core::HasWideKernel(key.kind, key.kernels)) {
      key.wide = true;
      keys.insert(key);
    }
  }
}

void AddCalls(const core::OfaSpace& space, const core::SubnetConfig& config, memory_planner::PlanMode mode,
              std::unordered_set<OpKey, OpKeyHash>& keys) {
  AddGraphCalls(core::BuildSubnetGraph(space, config), mode, keys);
}

}  // namespace

std::vector<OpKey> SpaceCallKeys(const core::OfaSpace& space, memory_planner::PlanMode mode, int patch_samples,
                                 uint32_t seed) {
  std::unordered_set<OpKey, OpKeyHash> keys;
  // Uniform subnets in the whole-tensor mode of the same kernels (inplace for patch).
  const memory_planner::PlanMode whole =
      mode == memory_planner::PlanMode::kPatch ? memory_planner::PlanMode::kInPlace : mode;
  core::SubnetConfig config = core::LargestSubnet(space);
  for (double width : space.width_choices) {
    for (int resolution : space.resolution_choices) {
      for (int kernel : space.kernel_choices) {
        for (int expand : space.expand_choices) {
          config.width_mult = width;
          config.resolution = resolution;
          for (auto& stage : config.stages) {
            for (core::BlockChoice& b : stage) b = {kernel, expand};
          }
          AddCalls(space, config, whole, keys);
        }
      }
    }
  }
  // The plain-CNN baseline of the space's data (nas_search --baseline cnn), deployed in this mode.
  for (double width : core::kPlainCnnWidths) {
    for (int resolution : space.resolution_choices) {
      AddGraphCalls(core::BuildPlainCnn(core::ScaledPlainCnn(space.in_channels, space.num_classes, width, resolution)),
                    mode, keys);
    }
  }
  if (mode == memory_planner::PlanMode::kPatch) {
    std::mt19937 rng(seed);
    for (int i = 0; i < patch_samples; ++i) AddCalls(space, core::SampleSubnet(space, rng), mode, keys);
  }
  std::vector<OpKey> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace kilonas::latency_models
