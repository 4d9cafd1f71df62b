// On-device training memory (docs/ondevice.md): the SRAM of one training step of MobileNetV2-w0.35
// at 128x128 (10 classes, batch 1) for MCUNetV3's kinds of update scheme, with and without the
// backward pass pruned to the scheme (the full update is the unpruned step) and with and without
// reordering the updates. Prints figures; the graph alone decides them (no weights needed).
//   ondevice_bench [resolution]
#include <cstdio>
#include <string>

#include "core/reference_nets.h"
#include "memory_planner/patch_plan.h"
#include "ondevice/training_memory.h"

namespace {

using namespace kilonas;

// MCUNetV3's sparse scheme of the 100 kB class: the biases of the last 22 layers with weights and
// the weights of six expansion (first pointwise) layers of the last blocks, more channels later.
ondevice::UpdateScheme SparseScheme(const engine::Model& model) {
  ondevice::UpdateScheme s = ondevice::LastBiases(model, 22);
  const std::pair<const char*, int> weights[] = {{"b11.expand", 1}, {"b12.expand", 1}, {"b13.expand", 2},
                                                 {"b14.expand", 2}, {"b15.expand", 4}, {"b16.expand", 8}};
  for (ondevice::LayerUpdate& u : s.layers) {
    for (const auto& [layer, eighths] : weights) {
      if (u.layer == layer) u.weights.eighths = eighths;
    }
  }
  return s;
}

// The step's peak with the forward pass as the engine's patch plan runs it, no op writing over a
// tensor the backward pass reads; "-" where the patch stage holds such a tensor only patch by patch.
std::string PatchForwardPeak(const engine::Model& model, const ondevice::TrainingGraph& t) {
  const memory_planner::MemoryPlan forward =
      ondevice::TrainableForwardPlan(model.graph, t, memory_planner::PlanMode::kPatch);
  const auto m = ondevice::PlanTrainingMemory(model.graph, t, {true, &forward});
  if (!m.ok()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", m.value().peak_bytes / 1024.0);
  return text;
}

void Report(const char* name, const engine::Model& model, const ondevice::UpdateScheme& scheme) {
  core::Result<ondevice::TrainingGraph> t = ondevice::DeriveTrainingGraph(model, scheme);
  if (!t.ok()) {
    std::printf("%-28s %s\n", name, t.error().message.c_str());
    return;
  }
  const auto reordered = ondevice::PlanTrainingMemory(model.graph, t.value(), {true});
  const auto kept_to_end = ondevice::PlanTrainingMemory(model.graph, t.value(), {false});
  if (!reordered.ok() || !kept_to_end.ok()) {
    std::printf("%-28s %s\n", name, (reordered.ok() ? kept_to_end : reordered).error().message.c_str());
    return;
  }
  const ondevice::TrainingMemory& m = reordered.value();
  std::printf("%-28s %10lld %8d %10.1f %10.1f %12.1f %12.1f %8.2fx %10.1f %12s\n", name,
              static_cast<long long>(ondevice::UpdatedParameters(scheme, model)), t.value().BackwardOps(),
              m.kept_bytes / 1024.0, m.parameter_copy_bytes / 1024.0, m.peak_bytes / 1024.0,
              kept_to_end.value().peak_bytes / 1024.0,
              static_cast<double>(kept_to_end.value().peak_bytes) / static_cast<double>(m.peak_bytes),
              m.inference_bytes / 1024.0, PatchForwardPeak(model, t.value()).c_str());
}

}  // namespace

int main(int argc, char** argv) {
  const int resolution = argc > 1 ? std::stoi(argv[1]) : 128;
  core::Result<core::Graph> graph = core::BuildGraph(core::MobileNetV2(0.35, resolution, 10));
  if (!graph.ok()) {
    std::fprintf(stderr, "ondevice_bench: %s\n", graph.error().message.c_str());
    return 1;
  }
  engine::Model model;
  model.graph = graph.value();
  std::printf(
      "training step of mbv2-w0.35 r%d (10 classes), batch 1; kB = 1024 B; per_layer forward buffers, "
      "fp32 gradients, no backward scratch\n",
      resolution);
  std::printf(
      "patch fwd: the forward pass as the engine's patch plan runs it (inference arena %.1f kB), nothing "
      "written over a tensor the backward pass reads; '-' where its patch stage holds one patch by patch\n",
      memory_planner::PlanDeployed(model.graph, memory_planner::PlanMode::kPatch).arena_bytes / 1024.0);
  std::printf("%-28s %10s %8s %10s %10s %12s %12s %9s %10s %12s\n", "scheme", "params", "bw ops", "kept kB",
              "copies kB", "peak kB", "no reorder", "reorder", "inference", "patch fwd");
  Report("full update (unpruned)", model, ondevice::LastLayers(model, 1000));
  Report("last 12 layers", model, ondevice::LastLayers(model, 12));
  Report("last 4 layers", model, ondevice::LastLayers(model, 4));
  Report("biases of the last 22", model, ondevice::LastBiases(model, 22));
  Report("sparse (MCUNetV3 100 kB)", model, SparseScheme(model));
  return 0;
}
