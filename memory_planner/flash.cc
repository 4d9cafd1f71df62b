#include "memory_planner/flash.h"

namespace kilonas::memory_planner {

FlashEstimate EstimateFlash(const core::Graph& graph, int64_t runtime_code_bytes) {
  FlashEstimate flash;
  for (const core::Op& op : graph.ops()) {
    flash.weight_bytes += graph.WeightCount(op);
    flash.bias_bytes += graph.BiasCount(op) * 4;
    flash.requant_bytes += graph.BiasCount(op) * kRequantBytesPerChannel;
    flash.graph_code_bytes += kGraphCodeBytesPerOp;
  }
  flash.runtime_code_bytes = runtime_code_bytes;
  return flash;
}

}  // namespace kilonas::memory_planner
