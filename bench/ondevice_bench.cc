// On-device training (docs/ondevice.md): the SRAM of one training step of MobileNetV2-w0.35 at
// 128x128 (10 classes, batch 1) for MCUNetV3's kinds of update scheme, with and without the
// backward pass pruned to the scheme (the full update is the unpruned step) and with and without
// reordering the updates; the graph alone decides them (no weights needed). With --firmware, the
// instructions of one training step of each scheme in the Cortex-M7 training firmware (its FPU)
// in QEMU, random int8 weights, beside one inference of the model's own firmware.
//   ondevice_bench [--firmware] [resolution]
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "core/float_model.h"
#include "core/reference_nets.h"
#include "engine/export.h"
#include "engine/quantizer.h"
#include "memory_planner/patch_plan.h"
#include "ondevice/training_firmware.h"
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
  const auto program = ondevice::BuildTrainingProgram(model, scheme);
  std::printf("%-28s %10lld %8d %10.1f %10.1f %12.1f %12.1f %8.2fx %10.1f %12s %10.1f\n", name,
              static_cast<long long>(ondevice::UpdatedParameters(scheme, model)), t.value().BackwardOps(),
              m.kept_bytes / 1024.0, m.parameter_copy_bytes / 1024.0, m.peak_bytes / 1024.0,
              kept_to_end.value().peak_bytes / 1024.0,
              static_cast<double>(kept_to_end.value().peak_bytes) / static_cast<double>(m.peak_bytes),
              m.inference_bytes / 1024.0, PatchForwardPeak(model, t.value()).c_str(),
              program.ok() ? program.value().layout.arena_bytes / 1024.0 : 0.0);
}

// Random int8 weights for the graph, calibrated on random images.
engine::Model RandomModel(const core::Graph& graph) {
  std::mt19937 rng(7);
  const core::FloatModel f = core::RandomFloatModel(graph, rng);
  std::vector<float> image(static_cast<size_t>(graph.tensor(graph.input()).shape.Elements()));
  for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  return engine::Quantize(f, {image}, {}).value();
}

// Instructions of one training step of `scheme` (the second of two on one sample: the first
// warms nothing, both cost the same) in the Cortex-M7 firmware; the board's SRAM raised to 4 MB
// so that every scheme links (QEMU's MPS2 board has that much at 0x20000000).
void FirmwareSteps(const char* name, const engine::Model& model, const ondevice::UpdateScheme& scheme,
                   core::HwProfile hw, double inference) {
  hw.sram_bytes = 4 << 20;
  ondevice::TrainingSamples samples;
  samples.inputs = {
      std::vector<int8_t>(static_cast<size_t>(model.graph.tensor(model.graph.input()).shape.Elements()), 3)};
  samples.labels = {1};
  samples.steps = 2;
  ondevice::TrainingFirmwareOptions options;
  options.dir = std::string("out/ondevice_bench/") + name;
  options.source_root = KILONAS_SOURCE_DIR;
  const auto run = ondevice::CheckTrainingFirmware(model, scheme, samples, hw, options);
  if (!run.ok()) {
    std::printf("%-28s %s\n", name, run.error().message.substr(0, 300).c_str());
    return;
  }
  const double step = static_cast<double>(run.value().firmware.instructions.back());
  std::printf("%-28s %14.0f %10.2fx %10.1f %12s\n", name, step, step / inference,
              run.value().firmware.arena_bytes / 1024.0, run.value().BitExact() ? "bit-exact" : "DIFFERENT");
}

int RunFirmware(const core::Graph& graph) {
  const engine::Model model = RandomModel(graph);
  const core::HwProfile hw =
      core::LoadHwProfile(std::string(KILONAS_SOURCE_DIR) + "/hw_profiles/stm32f746.json").value();
  engine::ExportOptions options;
  options.out_dir = "out/ondevice_bench/inference";
  options.network = "mbv2";
  options.source_root = KILONAS_SOURCE_DIR;
  const auto input = std::vector<int8_t>(static_cast<size_t>(graph.tensor(graph.input()).shape.Elements()), 3);
  const auto exported = engine::ExportModel(model, input, hw, options);
  if (!exported.ok()) {
    std::fprintf(stderr, "ondevice_bench: %s\n", exported.error().message.c_str());
    return 1;
  }
  const double inference = static_cast<double>(exported.value().run->Instructions());
  std::printf("one inference (the model's own firmware, %s plan, optimized kernels): %.0f instructions\n",
              std::string(memory_planner::PlanModeName(model.execution.mode)).c_str(), inference);
  std::printf("%-28s %14s %11s %10s %12s\n", "scheme", "instr/step", "x inference", "arena kB", "vs host");
  FirmwareSteps("sparse", model, SparseScheme(model), hw, inference);
  FirmwareSteps("biases of the last 22", model, ondevice::LastBiases(model, 22), hw, inference);
  FirmwareSteps("last 4 layers", model, ondevice::LastLayers(model, 4), hw, inference);
  FirmwareSteps("full update", model, ondevice::LastLayers(model, 1000), hw, inference);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const bool firmware = argc > 1 && std::strcmp(argv[1], "--firmware") == 0;
  const int resolution = argc > 1 + firmware ? std::stoi(argv[1 + firmware]) : 128;
  core::Result<core::Graph> graph = core::BuildGraph(core::MobileNetV2(0.35, resolution, 10));
  if (!graph.ok()) {
    std::fprintf(stderr, "ondevice_bench: %s\n", graph.error().message.c_str());
    return 1;
  }
  if (firmware) return RunFirmware(graph.value());
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
  std::printf(
      "firmware: the arena the training firmware plans (in-place depthwise where the input is not kept, "
      "optimized kernels' scratch)\n");
  std::printf("%-28s %10s %8s %10s %10s %12s %12s %9s %10s %12s %10s\n", "scheme", "params", "bw ops", "kept kB",
              "copies kB", "peak kB", "no reorder", "reorder", "inference", "patch fwd", "firmware");
  Report("full update (unpruned)", model, ondevice::LastLayers(model, 1000));
  Report("last 12 layers", model, ondevice::LastLayers(model, 12));
  Report("last 4 layers", model, ondevice::LastLayers(model, 4));
  Report("biases of the last 22", model, ondevice::LastBiases(model, 22));
  Report("sparse (MCUNetV3 100 kB)", model, SparseScheme(model));
  return 0;
}
