// nas_export: quantizes a network to int8, writes the model file and the generated C, builds the
// firmware with arm-none-eabi-gcc, runs it in qemu-system-arm and checks it against the host
// interpreter bit for bit. A subnet or reference network gets random (seeded) weights and
// calibration images; an int8 .tflite keeps its own constants. The test input is random.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <random>
#include <string>

#include "apps/arch_resolver.h"
#include "apps/cli.h"
#include "core/hw_profile.h"
#include "core/reference_nets.h"
#include "engine/export.h"
#include "engine/quantizer.h"
#include "latency_models/weight_layouts.h"
#include "memory_planner/flash.h"
#include "memory_planner/patch_plan.h"
#include "tflite/armnn_check.h"
#include "tflite/export.h"

#ifndef KILONAS_SOURCE_DIR
#define KILONAS_SOURCE_DIR "."
#endif

namespace {

using namespace kilonas;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_export", message); }

std::vector<float> RandomImage(const core::Graph& g, std::mt19937& rng) {
  std::vector<float> image(g.tensor(g.input()).shape.Elements());
  std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
  for (float& v : image) v = pixel(rng);
  return image;
}

core::Result<engine::ExecutionConfig> ChooseExecution(const core::Graph& g, const std::string& mode,
                                                      bool input_in_arena) {
  const core::Result<memory_planner::PlanMode> parsed = memory_planner::ParsePlanMode(mode);
  if (!parsed.ok()) return parsed.error();
  core::Result<memory_planner::MemoryPlan> plan = memory_planner::PlanForMode(g, parsed.value(), {input_in_arena, 4});
  if (!plan.ok()) return plan.error();
  return engine::ExecutionFor(plan.value());
}

// The graph with the weight layouts `weights` names: "int8" everywhere, "wide" for every
// pointwise layer, or "auto", as nas_search exports: chosen by the profile's LUT within its flash
// budget (latency_models::ChooseWeightLayouts).
core::Result<core::Graph> WithWeightLayouts(core::Graph graph, const std::string& weights, const core::HwProfile& hw,
                                            const std::string& mode) {
  if (weights != "auto") {
    return core::WithPointwiseWeights(std::move(graph),
                                      weights == "wide" ? core::WeightLayout::kWide : core::WeightLayout::kInt8);
  }
  core::Result<latency_models::LatencyLut> lut = latency_models::LoadLutFor(hw);
  if (!lut.ok()) return lut.error();
  core::Result<memory_planner::CodeSize> code = memory_planner::LoadCodeSize(hw.code_size);
  if (!code.ok()) return core::Error{hw.name + ": key 'code_size': " + code.error().message};
  return latency_models::ChooseWeightLayouts(std::move(graph), memory_planner::ParsePlanMode(mode).value(),
                                             code.value(), latency_models::LatencyPredictor(lut.value()),
                                             hw.FlashBudget())
      .graph;
}

// Per-op instruction counts of a profiled run, and totals per op kind.
void PrintProfile(const core::Graph& graph, const engine::ExportResult& result) {
  const std::vector<uint64_t> op_instructions = result.OpInstructions(graph.ops().size());
  std::printf("\n%-4s %-14s %-18s %12s %14s %10s\n", "#", "op", "kind", "MACs", "instructions", "MACs/instr");
  std::vector<std::pair<int64_t, uint64_t>> per_kind(core::kAllOpKinds.size(), {0, 0});
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const core::Op& op = graph.op(static_cast<int>(i));
    const int64_t macs = graph.Macs(op);
    const uint64_t instructions = op_instructions[i];
    per_kind[static_cast<size_t>(op.kind)].first += macs;
    per_kind[static_cast<size_t>(op.kind)].second += instructions;
    std::printf("%-4zu %-14s %-18s %12lld %14llu %10.3f\n", i, op.name.c_str(),
                std::string(core::Traits(op.kind).name).c_str(), static_cast<long long>(macs),
                static_cast<unsigned long long>(instructions),
                instructions ? static_cast<double>(macs) / static_cast<double>(instructions) : 0.0);
  }
  std::printf("\nper kind (instructions = timer ticks x 40, +-40 per call):\n");
  for (core::OpKind kind : core::kAllOpKinds) {
    const auto& [macs, instructions] = per_kind[static_cast<size_t>(kind)];
    if (!instructions) continue;
    std::printf("  %-18s %12lld MACs %14llu instructions %8.3f MACs/instr\n",
                std::string(core::Traits(kind).name).c_str(), static_cast<long long>(macs),
                static_cast<unsigned long long>(instructions),
                static_cast<double>(macs) / static_cast<double>(instructions));
  }
}

struct Flags {
  std::string arch, hw_path = "hw_profiles/stm32f746.json", mode = "inplace", kernels = "optimized", weights = "auto";
  std::string out_dir, source_dir = KILONAS_SOURCE_DIR, space;
  std::optional<int> resolution, num_classes;
  unsigned seed = 1;
  bool input_excluded = false, no_firmware = false, profile_ops = false, tflite_float_io = false;
};

void AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--arch", f.arch,
                 "subnet JSON file, int8 .tflite model or reference network: " + core::ReferenceNetHelp())
      ->required();
  app.add_option("--resolution", f.resolution, "input resolution (required for reference networks)")
      ->check(CLI::Range(apps::kMinResolution, apps::kMaxResolution));
  app.add_option("--hw", f.hw_path, "hardware profile (budgets, core, QEMU machine)")->capture_default_str();
  app.add_option("--mode", f.mode, "memory plan mode")
      ->capture_default_str()
      ->check(CLI::IsMember({"per_layer", "inplace", "patch"}));
  app.add_option("--kernels", f.kernels, "kernel set")
      ->capture_default_str()
      ->check(CLI::IsMember({"optimized", "reference"}));
  app.add_option("--weights", f.weights,
                 "pointwise weight layout: auto (wide where the LUT says it pays, within the flash budget, as "
                 "nas_search exports), int8, or wide (every pointwise layer)")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "int8", "wide"}));
  app.add_option("--num-classes", f.num_classes,
                 "classifier outputs (default: the subnet's space's; 10 for reference networks)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--space", f.space,
                 "space of a subnet file (a built-in name or a space JSON file; default: the built-in it names)");
  app.add_option("--seed", f.seed, "seed of the random weights, calibration and test input")->capture_default_str();
  app.add_flag("--input-excluded", f.input_excluded, "keep the input outside the arena");
  app.add_flag("--no-firmware", f.no_firmware, "stop after the model file and the generated C");
  app.add_flag("--tflite-float-io", f.tflite_float_io,
               "write model.tflite with float32 input and output (a QUANTIZE and a DEQUANTIZE at its edges, for "
               "callers that give and take floats); default int8 in and out");
  app.add_flag("--profile-ops", f.profile_ops, "time every kernel call in the firmware and print per-op figures")
      ->excludes("--no-firmware");
  app.add_option("--out-dir", f.out_dir, "output directory (default out/export/<network>)");
  app.add_option("--source-dir", f.source_dir, "kilonas source tree (runtime and firmware sources)")
      ->capture_default_str();
}

// The network with random (seeded) weights, quantized with random calibration images, and a
// random test input.
struct RandomQuantized {
  engine::Model model;
  std::vector<int8_t> input;
};

core::Result<RandomQuantized> QuantizeRandom(const core::Graph& graph, const std::string& name, const Flags& f) {
  std::mt19937 rng(f.seed);
  const core::FloatModel float_model = core::RandomFloatModel(graph, rng);
  std::vector<std::vector<float>> calibration;
  for (int i = 0; i < 8; ++i) calibration.push_back(RandomImage(graph, rng));
  core::Result<engine::ExecutionConfig> execution = ChooseExecution(graph, f.mode, !f.input_excluded);
  if (!execution.ok()) return execution.error();
  std::printf("quantizing %s (%.2fM MACs) with %zu calibration images...\n", name.c_str(), graph.TotalMacs() / 1e6,
              calibration.size());
  core::Result<engine::Model> quantized = engine::Quantize(float_model, calibration, execution.value());
  if (!quantized.ok()) return quantized.error();
  std::vector<int8_t> input = engine::QuantizeInput(quantized.value(), RandomImage(graph, rng));
  return RandomQuantized{std::move(quantized).value(), std::move(input)};
}

// An imported .tflite model as it is (its graph given the weight layouts chosen), planned for
// --mode, with a random (seeded) int8 test input.
core::Result<RandomQuantized> PrepareImported(engine::Model model, const core::Graph& graph, const std::string& name,
                                              const Flags& f) {
  core::Result<engine::ExecutionConfig> execution = ChooseExecution(graph, f.mode, !f.input_excluded);
  if (!execution.ok()) return execution.error();
  model.graph = graph;
  model.execution = execution.value();
  std::printf("imported %s (%.2fM MACs): its own int8 constants, a random int8 test input\n", name.c_str(),
              graph.TotalMacs() / 1e6);
  std::mt19937 rng(f.seed);
  std::vector<int8_t> input(static_cast<size_t>(graph.tensor(graph.input()).shape.Elements()));
  std::uniform_int_distribution<int> byte(-128, 127);
  for (int8_t& v : input) v = static_cast<int8_t>(byte(rng));
  return RandomQuantized{std::move(model), std::move(input)};
}

// The plan, the flash estimate and whether both fit the MCU's budgets (total minus reserved),
// whether or not firmware was built: the firmware runs on QEMU's board, whose memories are
// larger than the MCU's. Returns the flash estimate in bytes.
core::Result<int64_t> PrintPlanAndBudgets(const core::Graph& graph, const engine::Model& model,
                                          const engine::ExportResult& result, const core::HwProfile& hw,
                                          const Flags& f) {
  const engine::ExecutionConfig& e = model.execution;
  std::string plan(memory_planner::PlanModeName(e.mode));
  if (e.mode == memory_planner::PlanMode::kPatch) {
    plan += " " + std::to_string(e.patches_per_side) + "x" + std::to_string(e.patches_per_side) +
            " patches, stage ops 0.." + std::to_string(e.split_op - 1);
  }
  std::printf("weights         %d of %d pointwise layers wide (--weights %s)\n", core::CountWideLayers(graph),
              core::CountOps(graph, core::OpKind::kPointwiseConv2d), f.weights.c_str());
  std::printf("plan            %s, arena %lld bytes (%.1f kB), input %s\n", plan.c_str(),
              static_cast<long long>(result.arena_bytes), result.arena_bytes / 1024.0,
              f.input_excluded ? "outside the arena" : "in the arena");
  core::Result<memory_planner::CodeSize> code = memory_planner::LoadCodeSize(hw.code_size);
  if (!code.ok()) return core::Error{f.hw_path + ": key 'code_size': " + code.error().message};
  core::Result<memory_planner::MemoryPlan> deployed = engine::PlanModel(model);
  if (!deployed.ok()) return deployed.error();
  const core::Result<memory_planner::FlashEstimate> flash =
      memory_planner::EstimateFlash(graph, deployed.value(), code.value());
  if (!flash.ok()) return flash.error();
  const int64_t estimate = flash.value().Total();
  std::printf("flash estimate  %.1f kB (model: constants, graph code, runtime kernels it calls)\n", estimate / 1024.0);
  const bool flash_fits = estimate <= hw.FlashBudget();
  const bool sram_fits = result.arena_bytes <= hw.SramBudget();
  std::printf("budgets         flash %.1f of %.1f kB, arena %.1f of %.1f kB on %s: %s\n", estimate / 1024.0,
              hw.FlashBudget() / 1024.0, result.arena_bytes / 1024.0, hw.SramBudget() / 1024.0, hw.name.c_str(),
              flash_fits && sram_fits ? "fits"
              : flash_fits            ? "DOES NOT FIT (arena over the SRAM budget)"
              : sram_fits             ? "DOES NOT FIT (over the flash budget)"
                                      : "DOES NOT FIT (over the flash and SRAM budgets)");
  return estimate;
}

// The firmware's run: bit-exactness, instructions, sections and memory used. Returns whether the
// firmware's output equals the host interpreter's.
bool PrintFirmwareRun(const core::Graph& graph, const engine::ExportResult& result, int64_t flash_estimate,
                      const core::HwProfile& hw) {
  const int64_t linked = *result.model_flash_bytes;
  std::printf("model flash     %.1f kB linked (firmware minus the harness alone), estimate %+.2f%%\n", linked / 1024.0,
              100.0 * (flash_estimate - linked) / linked);
  const engine::FirmwareBuild& b = *result.build;
  const engine::QemuRun& r = *result.run;
  const bool equal = result.BitExact();
  std::printf("output          %s (%zu bytes, firmware vs host interpreter)\n", equal ? "bit-exact" : "MISMATCH",
              result.host_output.size());
  std::printf("instructions    %llu per inference (%llu timer ticks x 40)\n",
              static_cast<unsigned long long>(r.Instructions()), static_cast<unsigned long long>(r.ticks));
  std::printf("MACs/instr      %.3f (%lld MACs)\n",
              static_cast<double>(graph.TotalMacs()) / static_cast<double>(r.Instructions()),
              static_cast<long long>(graph.TotalMacs()));
  std::printf("sections        .text %lld  .rodata %lld  .data %lld  .bss %lld bytes\n", static_cast<long long>(b.text),
              static_cast<long long>(b.rodata), static_cast<long long>(b.data), static_cast<long long>(b.bss));
  const int64_t stack = engine::TargetFor(hw).stack_bytes;
  const int64_t ram = b.RamBytes() + stack;
  std::printf("flash used      %.1f kB of %.1f kB;  RAM used %.1f kB (incl. %lld B stack) of %.1f kB: %s\n",
              b.FlashBytes() / 1024.0, hw.flash_bytes / 1024.0, ram / 1024.0, static_cast<long long>(stack),
              hw.sram_bytes / 1024.0,
              b.FlashBytes() <= hw.flash_bytes && ram <= hw.sram_bytes ? "fits" : "DOES NOT FIT");
  return equal;
}

// The export's options; model.tflite joins its files where the model has a .tflite form
// (`tflite_note` says where it goes, or why there is none).
engine::ExportOptions OptionsFor(const Flags& f, const std::string& name, const std::string& out_dir,
                                 const engine::Model& model, std::string& tflite_note) {
  engine::ExportOptions options;
  options.out_dir = out_dir;
  options.network = name;
  options.source_root = f.source_dir;
  options.kernels = f.kernels == "reference" ? engine::KernelSet::kReference : engine::KernelSet::kOptimized;
  options.build_firmware = !f.no_firmware;
  options.profile_steps = f.profile_ops;
  options.measure_model_flash = !f.no_firmware;
  const core::Status tflite = tflite::AddTfliteFile(model, name, options, f.tflite_float_io);
  tflite_note = tflite.ok()
                    ? out_dir + "/" + tflite::kTfliteFileName + (f.tflite_float_io ? " (float32 in and out)" : "")
                    : "none: " + tflite.message();
  return options;
}

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{"Export a network as int8: model file, generated C, firmware run in QEMU"};
  Flags f;
  AddFlags(app, f);
  KILONAS_PARSE(app, argc, argv);

  core::Result<core::HwProfile> hw = core::LoadHwProfile(f.hw_path);
  if (!hw.ok()) return Fail(hw.error().message);
  core::Result<apps::ResolvedArch> resolved = apps::ResolveArch(f.arch, {f.resolution, f.num_classes, 10, f.space});
  if (!resolved.ok()) return Fail(resolved.error().message);
  core::Result<core::Graph> laid_out = WithWeightLayouts(resolved.value().graph, f.weights, hw.value(), f.mode);
  if (!laid_out.ok()) return Fail(laid_out.error().message);
  const core::Graph& graph = laid_out.value();
  const std::string& name = resolved.value().name;
  const std::string out_dir = f.out_dir.empty() ? "out/export/" + name : f.out_dir;
  core::Result<core::DirLock> lock = apps::LockDir("nas_export", out_dir);
  if (!lock.ok()) return Fail(lock.error().message);
  const std::optional<engine::Model>& imported = resolved.value().imported;
  core::Result<RandomQuantized> quantized =
      imported ? PrepareImported(*imported, graph, name, f) : QuantizeRandom(graph, name, f);
  if (!quantized.ok()) return Fail(quantized.error().message);

  std::string tflite_note;
  const engine::ExportOptions options = OptionsFor(f, name, out_dir, quantized.value().model, tflite_note);
  if (!f.no_firmware) {
    std::printf("building firmware for %s (%s) and running it in qemu-system-arm -M %s...\n", hw.value().name.c_str(),
                hw.value().core.c_str(), hw.value().qemu_machine.c_str());
  }
  core::Result<engine::ExportResult> exported =
      engine::ExportModel(quantized.value().model, quantized.value().input, hw.value(), options);
  if (!exported.ok()) return Fail(exported.error().message);
  const engine::ExportResult& result = exported.value();
  std::printf("model file      %s\ngenerated C     %s/model.c\ntflite          %s\n", result.model_path.c_str(),
              out_dir.c_str(), tflite_note.c_str());
  if (!options.extra_files.empty()) {  // model.tflite was written
    std::printf("Arm NN          %s (the export's input, vs the host interpreter)\n",
                tflite::ArmnnVerdict(quantized.value().model, {quantized.value().input}).c_str());
  }
  core::Result<int64_t> flash = PrintPlanAndBudgets(graph, quantized.value().model, result, hw.value(), f);
  if (!flash.ok()) return Fail(flash.error().message);
  if (f.no_firmware) return 0;
  const bool equal = PrintFirmwareRun(graph, result, flash.value(), hw.value());
  if (f.profile_ops) PrintProfile(graph, result);
  return equal ? 0 : 2;
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_export", argc, argv, ToolMain); }
