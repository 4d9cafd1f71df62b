// The export pipeline shared by nas_export and the firmware benchmark: quantized Model ->
// model file -> host interpreter -> generated C -> firmware build -> QEMU run -> comparison.
#pragma once

#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/hw_profile.h"
#include "engine/firmware_build.h"
#include "engine/model.h"
#include "engine/schedule.h"

namespace kilonas::engine {

struct ExportOptions {
  std::string out_dir;
  std::string network;      // name written into the generated sources
  std::string source_root;  // kilonas source tree (runtime + firmware sources)
  KernelSet kernels = KernelSet::kOptimized;
  bool build_firmware = true;
  bool profile_steps = false;
  bool run_firmware = true;          // false: build only (sizes without the QEMU run)
  bool measure_model_flash = false;  // the model's linked flash (MeasureModelFlash), with a build
  // Files the caller adds to the export, (name, bytes): model.tflite from the tflite library
  // (which depends on the engine, not the other way round). Staged and replaced with the rest.
  std::vector<std::pair<std::string, std::string>> extra_files;
};

struct ExportResult {
  std::string model_path;
  int64_t arena_bytes = 0;
  std::vector<int8_t> host_output;
  std::optional<FirmwareBuild> build;
  std::optional<QemuRun> run;
  std::optional<int64_t> model_flash_bytes;  // with measure_model_flash
  bool BitExact() const { return run && run->output == host_output; }
  // Instructions per op summed over its kernel calls (patches), when profiled.
  std::vector<uint64_t> OpInstructions(size_t num_ops) const;
};

// Saves and reloads the model file, runs the host interpreter on `input`, writes model.h,
// model.c and test_input.h, and (unless disabled) builds and runs the firmware. All of it is
// written into a staging directory that replaces out_dir as a whole when everything succeeded
// (core::ReplaceDirectory: out_dir must be empty or hold only what an earlier export wrote).
core::Result<ExportResult> ExportModel(const Model& model, const std::vector<int8_t>& input, const core::HwProfile& hw,
                                       const ExportOptions& options);

// A graph with seeded random weights and a random input, quantized to run with `plan`, exported
// and run in the firmware: what latency validation and benchmarks measure whole networks with.
core::Result<ExportResult> ExportRandomNetwork(const core::Graph& graph, const memory_planner::MemoryPlan& plan,
                                               const core::HwProfile& hw, const ExportOptions& options,
                                               std::mt19937& rng);

}  // namespace kilonas::engine
