#include "latency_models/space_keys.h"

#include <algorithm>
#include <unordered_set>

namespace kilonas::latency_models {

std::vector<OpKey> SpaceOpKeys(const core::OfaSpace& space) {
  std::unordered_set<OpKey, OpKeyHash> keys;
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
          const core::Result<core::Graph> graph = core::BuildSubnetGraph(space, config);
          if (!graph.ok()) continue;
          for (const core::Op& op : graph.value().ops()) keys.insert(KeyOf(graph.value(), op));
        }
      }
    }
  }
  std::vector<OpKey> sorted(keys.begin(), keys.end());
  std::sort(sorted.begin(), sorted.end());
  return sorted;
}

}  // namespace kilonas::latency_models
