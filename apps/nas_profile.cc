// nas_profile: builds a per-MCU latency LUT by running every distinct kernel call of the search
// space (every execution mode: reference kernels for per_layer, patch shapes for patch) in
// profiling firmware under qemu-system-arm -icount (instructions x the profile's CPI = cycles),
// validates the LUT's predictions per mode against whole-network firmware runs of random
// subnets, and imports DWT cycle logs from a real board into the LUT.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <random>
#include <sstream>

#include "apps/cli.h"
#include "core/file_io.h"
#include "core/hw_profile.h"
#include "core/ofa_space.h"
#include "engine/code_size.h"
#include "engine/export.h"
#include "engine/op_benchmark.h"
#include "latency_models/board_import.h"
#include "latency_models/predictor.h"
#include "latency_models/space_keys.h"
#include "latency_models/weight_layouts.h"
#include "memory_planner/patch_plan.h"

#ifndef KILONAS_SOURCE_DIR
#define KILONAS_SOURCE_DIR "."
#endif
#ifndef KILONAS_VERSION
#define KILONAS_VERSION "unknown"
#endif

namespace {

using namespace kilonas;
using memory_planner::PlanMode;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_profile", message); }

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

struct ModeValidation {
  double mean_error = 0, max_error = 0;
  int misses = 0;
};

// Predicted vs measured whole-network instructions of `count` random subnets run with the plan
// the search deploys in `mode`: every other one with int8 weights, the rest with the weight
// layouts the search would give it (ChooseWeightLayouts within the profile's flash budget).
core::Result<ModeValidation> ValidateMode(const latency_models::LatencyPredictor& predictor,
                                          const core::OfaSpace& space, const core::HwProfile& hw, PlanMode mode,
                                          int count, const std::string& work_dir) {
  core::Result<memory_planner::CodeSize> code = memory_planner::LoadCodeSize(hw.code_size);
  if (!code.ok()) return code.error();
  std::mt19937 rng(2024);
  ModeValidation v;
  const std::string name(memory_planner::PlanModeName(mode));
  for (int i = 0; i < count; ++i) {
    const core::SubnetConfig config = core::SampleSubnet(space, rng);
    core::Graph graph = core::BuildSubnetGraph(space, config).value();
    if (i % 2 == 1)
      graph = latency_models::ChooseWeightLayouts(graph, mode, code.value(), predictor, hw.FlashBudget()).graph;
    const memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(graph, mode);
    const latency_models::LatencyPrediction p = predictor.Predict(graph, plan);
    const double predicted = p.cycles / hw.cpi;  // back to instructions
    const engine::ExportOptions options{work_dir + "/validate_" + name, "validate", KILONAS_SOURCE_DIR,
                                        engine::KernelSet::kOptimized,  true,       false};
    core::Result<engine::ExportResult> r = engine::ExportRandomNetwork(graph, plan, hw, options, rng);
    if (!r.ok()) return r.error();
    if (!r.value().BitExact()) return core::Error{"validation subnet " + std::to_string(i) + ": firmware != host"};
    const double measured = static_cast<double>(r.value().run->Instructions());
    const double error = std::abs(predicted - measured) / measured;
    v.mean_error += error / count;
    v.max_error = std::max(v.max_error, error);
    v.misses += p.misses;
    std::printf(
        "  %s subnet %d: r%d w%.2f, %.2fM MACs, %d wide, %s: predicted %llu, measured %llu instructions (%+.2f%%)\n",
        name.c_str(), i, config.resolution, config.width_mult, graph.TotalMacs() / 1e6, core::CountWideLayers(graph),
        plan.patch ? ("patch " + std::to_string(plan.patch->patches_per_side) + "x" +
                      std::to_string(plan.patch->patches_per_side) + " to op " + std::to_string(plan.patch->split_op))
                         .c_str()
                   : std::string(memory_planner::PlanModeName(plan.mode)).c_str(),
        static_cast<unsigned long long>(predicted), static_cast<unsigned long long>(measured),
        100 * (predicted - measured) / measured);
    std::fflush(stdout);
  }
  return v;
}

int Validate(const latency_models::LatencyPredictor& predictor, const core::OfaSpace& space, const core::HwProfile& hw,
             const std::vector<PlanMode>& modes, int count, double max_error_percent, const std::string& work_dir) {
  bool within = true;
  std::ostringstream summary;
  for (PlanMode mode : modes) {
    core::Result<ModeValidation> v = ValidateMode(predictor, space, hw, mode, count, work_dir);
    if (!v.ok()) return Fail(v.error().message);
    char line[240];
    std::snprintf(
        line, sizeof(line),
        "validation %-9s on %d random subnets of '%s' (%s): mean abs error %.2f%%, max %.2f%%, LUT misses %d\n",
        std::string(memory_planner::PlanModeName(mode)).c_str(), count, space.name.c_str(), hw.name.c_str(),
        100 * v.value().mean_error, 100 * v.value().max_error, v.value().misses);
    summary << line;
    within = within && 100 * v.value().max_error <= max_error_percent;
  }
  std::printf("%s", summary.str().c_str());
  if (!within) return Fail("a prediction error exceeds --max-error " + std::to_string(max_error_percent) + "%");
  return 0;
}

core::Result<latency_models::LatencyLut> Profile(const core::HwProfile& hw, const core::OfaSpace& space,
                                                 const std::vector<PlanMode>& modes, int patch_samples,
                                                 const std::string& work_dir) {
  std::vector<latency_models::OpKey> keys;
  for (PlanMode mode : modes) {
    for (const latency_models::OpKey& key : latency_models::SpaceCallKeys(space, mode, patch_samples)) {
      if (std::find(keys.begin(), keys.end(), key) == keys.end()) keys.push_back(key);
    }
  }
  std::sort(keys.begin(), keys.end());
  std::printf("profiling %zu distinct kernel calls of '%s' on %s (qemu -M %s -icount shift=0)...\n", keys.size(),
              space.name.c_str(), hw.name.c_str(), hw.qemu_machine.c_str());
  std::fflush(stdout);
  std::vector<engine::OpCase> cases;
  std::ostringstream key_list;
  for (size_t i = 0; i < keys.size(); ++i) {
    cases.push_back({keys[i].kind, keys[i].kernel, keys[i].stride, keys[i].in, keys[i].out, keys[i].kernels,
                     keys[i].writes_over, keys[i].wide});
    key_list << i << "\t" << keys[i].ToString() << "\n";
  }
  core::Result<std::vector<uint64_t>> instructions =
      engine::RunOpBenchmark(cases, engine::TargetFor(hw), KILONAS_SOURCE_DIR, work_dir);
  if (!instructions.ok()) return instructions.error();
  if (core::Status s = core::WriteFileAtomic(work_dir + "/keys.txt", key_list.str()); !s.ok()) return s.error();
  latency_models::LatencyLut lut;
  lut.mcu = hw.name;
  lut.provenance = {KILONAS_VERSION,
                    "qemu-icount",
                    UtcNow(),
                    hw.core,
                    "qemu-system-arm -M " + hw.qemu_machine,
                    hw.cpi,
                    hw.clock_mhz,
                    "instructions from the CMSDK timer under -icount shift=0 (40 per tick, +-40); cycles = "
                    "instructions x cpi" +
                        std::string(hw.cpi_measured ? "" : " (cpi assumed, not measured)") +
                        "; kernel calls of every execution mode, patch calls from " + std::to_string(patch_samples) +
                        " sampled subnets"};
  for (size_t i = 0; i < keys.size(); ++i) {
    lut.entries[keys[i]] = {instructions.value()[i], static_cast<double>(instructions.value()[i]) * hw.cpi};
  }
  return lut;
}

int Import(const core::HwProfile& hw, const std::string& lut_path, const std::string& keys_path,
           const std::string& log_path, const std::string& board) {
  core::Result<latency_models::LatencyLut> lut = latency_models::LoadLut(lut_path);
  if (!lut.ok()) return Fail(lut.error().message + " (import replaces entries of an existing LUT: profile first)");
  if (core::Status s = latency_models::CheckLutMatches(lut.value(), hw, lut_path); !s.ok()) return Fail(s.message());
  core::Result<std::string> keys_text = core::ReadTextFile(keys_path);
  if (!keys_text.ok()) return Fail(keys_text.error().message);
  core::Result<std::vector<latency_models::OpKey>> keys = latency_models::ParseKeyList(keys_text.value(), keys_path);
  if (!keys.ok()) return Fail(keys.error().message);
  core::Result<std::string> log = core::ReadTextFile(log_path);
  if (!log.ok()) return Fail(log.error().message);
  core::Result<latency_models::ImportSummary> summary =
      latency_models::ImportBoardCycles(lut.value(), keys.value(), log.value(), log_path, board);
  if (!summary.ok()) return Fail(summary.error().message);
  if (core::Status s = latency_models::SaveLut(lut.value(), lut_path); !s.ok()) return Fail(s.message());
  std::printf("imported %d board cycle counts into %s (%d replaced, %d new), method now %s\n",
              summary.value().replaced + summary.value().added, lut_path.c_str(), summary.value().replaced,
              summary.value().added, lut.value().provenance.method.c_str());
  return 0;
}

struct Flags {
  std::string hw_path = "hw_profiles/stm32f746.json", space_name = "fmnist", out, work_dir, lut_path;
  int validate = 50, patch_samples = 5000, classes = 0, code_samples = 6;
  double max_error = 5.0;
  std::vector<std::string> mode_names = {"per_layer", "inplace", "patch"};
  std::string keys_path, log_path, board = "board";
};

struct Subcommands {
  CLI::App* code_size;
  CLI::App* import;
};

Subcommands AddFlags(CLI::App& app, Flags& f) {
  app.add_option("--hw", f.hw_path, "hardware profile")->capture_default_str();
  app.add_option("--space", f.space_name,
                 "search space whose kernel calls are profiled: a built-in name or a space JSON file")
      ->capture_default_str();
  app.add_option("--classes", f.classes, "classes of the data set (for a space file without num_classes)")
      ->check(CLI::Range(2, 100000));
  app.add_option("--out", f.out,
                 "LUT to write (default out/profile/<mcu>/<space>_lut.json: a committed LUT is only replaced when "
                 "named here); with import, the LUT to change (default: the profile's); with code-size, the code "
                 "size file (default: the profile's)");
  app.add_option("--work-dir", f.work_dir, "firmware build directory (default out/profile/<mcu>)");
  app.add_option("--validate", f.validate, "random subnets per mode to validate against whole-network runs (0: none)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  app.add_option("--modes", f.mode_names, "execution modes to profile and validate")
      ->check(CLI::IsMember({"per_layer", "inplace", "patch"}))
      ->capture_default_str();
  app.add_option("--max-error", f.max_error, "exit 1 when a subnet's prediction error exceeds this (percent)")
      ->check(apps::FiniteRange(0.0, 1000.0))
      ->capture_default_str();
  app.add_option("--patch-samples", f.patch_samples, "random subnets whose patch-stage calls are profiled")
      ->check(CLI::Range(0, 1000000))
      ->capture_default_str();
  app.add_option("--lut", f.lut_path, "validate this existing LUT instead of profiling");
  CLI::App* code_size =
      app.add_subcommand("code-size", "measure the flash estimate's code figures of the profile's core");
  code_size->add_option("--samples", f.code_samples, "random subnets (x 3 modes) the per-call bytes are fitted on")
      ->check(CLI::Range(2, 1000))
      ->capture_default_str();
  CLI::App* import = app.add_subcommand("import", "replace LUT entries by a board's DWT cycle counts");
  import->add_option("--keys", f.keys_path, "keys.txt written by the profiling run")->required();
  import->add_option("--log", f.log_path, "the board's serial log with KILONAS_OP lines")->required();
  import->add_option("--board", f.board, "board name for the provenance")->capture_default_str();
  return {code_size, import};
}

int MeasureCodeSizes(const core::HwProfile& hw, const core::OfaSpace& space, const Flags& f, const std::string& out) {
  const std::string path = out == hw.latency_lut ? hw.code_size : out;
  std::printf("measuring %s code sizes on %d random subnets x 3 modes (firmware builds)...\n", hw.core.c_str(),
              f.code_samples);
  std::fflush(stdout);
  core::Result<memory_planner::CodeSize> code =
      engine::MeasureCodeSize(hw, space, f.code_samples, KILONAS_SOURCE_DIR, f.work_dir + "/code_size");
  if (!code.ok()) return Fail(code.error().message);
  if (core::Status s = core::WriteFileAtomic(path, memory_planner::CodeSizeToJson(code.value())); !s.ok()) {
    return Fail(s.message());
  }
  std::printf("wrote %s: %d B per kernel call, %d B base\n", path.c_str(), static_cast<int>(code.value().call_bytes),
              static_cast<int>(code.value().model_base_bytes));
  return 0;
}

// The LUT to validate: --lut's, or a fresh profile written to `out`.
core::Result<latency_models::LatencyLut> LutToValidate(const core::HwProfile& hw, const core::OfaSpace& space,
                                                       const std::vector<PlanMode>& modes, const Flags& f,
                                                       const std::string& out) {
  if (!f.lut_path.empty()) {
    core::Result<latency_models::LatencyLut> loaded = latency_models::LoadLut(f.lut_path);
    if (!loaded.ok()) return loaded.error();
    if (core::Status s = latency_models::CheckLutMatches(loaded.value(), hw, f.lut_path); !s.ok()) return s.error();
    return loaded;
  }
  const auto start = std::chrono::steady_clock::now();
  core::Result<latency_models::LatencyLut> profiled = Profile(hw, space, modes, f.patch_samples, f.work_dir);
  if (!profiled.ok()) return profiled.error();
  if (core::Status s = latency_models::SaveLut(profiled.value(), out); !s.ok()) return s.error();
  std::printf(
      "wrote %s (%zu kernel calls, %.1f s); board firmware: %s/batch*/op_benchmark.c (-DKILONAS_DWT), keys "
      "%s/keys.txt\n",
      out.c_str(), profiled.value().entries.size(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), f.work_dir.c_str(),
      f.work_dir.c_str());
  if (out != hw.latency_lut) {
    std::printf("search with it: nas_search --hw %s --lut %s%s (the profile's own LUT, %s, is unchanged)\n",
                f.hw_path.c_str(), out.c_str(), f.space_name == "fmnist" ? "" : (" --space " + f.space_name).c_str(),
                hw.latency_lut.c_str());
  }
  return profiled;
}

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{"Per-MCU latency LUT: profile kernel calls in QEMU, validate per execution mode, import board logs"};
  Flags f;
  const Subcommands sub = AddFlags(app, f);
  KILONAS_PARSE(app, argc, argv);

  core::Result<core::HwProfile> hw = core::LoadHwProfile(f.hw_path);
  if (!hw.ok()) return Fail(hw.error().message);
  if (f.work_dir.empty()) f.work_dir = "out/profile/" + hw.value().name;
  // Profiling never overwrites a committed LUT unless --out names it: a LUT of another space (or
  // a fresh one of the same) goes beside the firmware builds, for nas_search --lut. Importing a
  // board log changes the profile's LUT unless --out names another.
  const bool profiling = !*sub.import && !*sub.code_size && f.lut_path.empty();
  std::string out = f.out.empty() && !profiling ? hw.value().latency_lut : f.out;
  core::Result<core::DirLock> lock = apps::LockDir("nas_profile", f.work_dir);
  if (!lock.ok()) return Fail(lock.error().message);
  if (*sub.import) return Import(hw.value(), out, f.keys_path, f.log_path, f.board);
  core::Result<core::OfaSpace> space = core::ResolveSpace(f.space_name);
  if (!space.ok()) return Fail("--space: " + space.error().message);
  if (f.classes > 0) space.value().num_classes = f.classes;
  if (space.value().num_classes == 0) {
    return Fail("--space " + f.space_name + " takes its class count from the data set: pass --classes N");
  }
  if (out.empty()) out = f.work_dir + "/" + space.value().name + "_lut.json";
  if (*sub.code_size) return MeasureCodeSizes(hw.value(), space.value(), f, out);
  std::vector<PlanMode> modes;
  for (const std::string& name : f.mode_names) modes.push_back(memory_planner::ParsePlanMode(name).value());
  core::Result<latency_models::LatencyLut> lut = LutToValidate(hw.value(), space.value(), modes, f, out);
  if (!lut.ok()) return Fail(lut.error().message);
  if (f.validate == 0) return 0;
  return Validate(latency_models::LatencyPredictor(lut.value()), space.value(), hw.value(), modes, f.validate,
                  f.max_error, f.work_dir);
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_profile", argc, argv, ToolMain); }
