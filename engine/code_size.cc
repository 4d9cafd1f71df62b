#include "engine/code_size.h"

#include <chrono>
#include <cmath>
#include <ctime>
#include <map>
#include <random>
#include <regex>
#include <sstream>

#include "core/file_io.h"
#include "engine/export.h"
#include "engine/kernel_table.h"
#include "memory_planner/patch_plan.h"
#include "memory_planner/plan_calls.h"

namespace kilonas::engine {
namespace {

using memory_planner::CodeSize;

// Size of the first symbol of `elf` whose name matches `pattern` (arm-none-eabi-nm -S).
core::Result<int64_t> SymbolSize(const std::string& elf, const std::string& pattern) {
  std::string out;
  if (RunCommand("arm-none-eabi-nm -S '" + elf + "'", out) != 0) return core::Error{"arm-none-eabi-nm failed:\n" + out};
  const std::regex name(pattern);
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string address, size, type, symbol;
    if (fields >> address >> size >> type >> symbol && std::regex_match(symbol, name))
      return std::stoll(size, nullptr, 16);
  }
  return core::Error{elf + ": no symbol matching " + pattern};
}

// Functions and constants (with sizes) in the image of the stub firmware in `dir` (model.h and
// test_input.h there), keeping `symbol` if set.
core::Result<std::map<std::string, int64_t>> StubSymbols(const std::string& dir, FirmwareTarget target,
                                                         const std::string& source_root, const std::string& symbol) {
  if (!symbol.empty()) target.defines.push_back("KILONAS_STUB_KEEP=" + symbol);
  core::Result<FirmwareBuild> build = BuildStubFirmware(dir, target, source_root);
  if (!build.ok()) return build.error();
  std::string out;
  if (RunCommand("arm-none-eabi-nm -S '" + build.value().elf + "'", out) != 0)
    return core::Error{"arm-none-eabi-nm failed:\n" + out};
  std::map<std::string, int64_t> symbols;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string address, size, type, name;
    if (fields >> address >> size >> type >> name && std::string("tTrR").find(type) != std::string::npos) {
      symbols[name] = std::stoll(size, nullptr, 16);
    }
  }
  return symbols;
}

// For every kernel variant of the kernel table: the functions its kernel adds to the stub image.
core::Status MeasureKernels(const std::string& stub_dir, const FirmwareTarget& target, const std::string& source_root,
                            CodeSize& code) {
  core::Result<std::map<std::string, int64_t>> base = StubSymbols(stub_dir, target, source_root, "");
  if (!base.ok()) return base.error();
  for (const core::CallVariant& v : core::AllCallVariants()) {
    const Kernel kernel =
        KernelFor(v.kind, v.writes_over, v.kernels, v.wide ? core::WeightLayout::kWide : core::WeightLayout::kInt8);
    core::Result<std::map<std::string, int64_t>> kept =
        StubSymbols(stub_dir, target, source_root, std::string(KernelSymbol(kernel)));
    if (!kept.ok()) return kept.error();
    std::vector<std::string>& functions = code.kernel_functions[v.Name()];
    for (const auto& [name, bytes] : kept.value()) {
      if (base.value().count(name)) continue;
      functions.push_back(name);
      code.function_bytes[name] = bytes;
    }
  }
  return core::Status::Ok();
}

struct Sample {
  int64_t calls = 0;
  int64_t rest = 0;  // linked model flash minus constants, parameter structs and kernels
};

// The parameter structs' sizes (from the first export's ELF) and the kernels' (from a stub model
// built beside it).
core::Status MeasureParamsAndKernels(const ExportResult& exported, const ExportOptions& options,
                                     const FirmwareTarget& target, const std::string& source_root,
                                     const std::string& work_dir, CodeSize& code) {
  for (auto [field, pattern] :
       {std::pair{&code.conv_params_bytes, "cp[0-9]+"}, std::pair{&code.add_params_bytes, "ap[0-9]+"},
        std::pair{&code.pool_params_bytes, "pp[0-9]+"}}) {
    core::Result<int64_t> size = SymbolSize(exported.build->elf, pattern);
    if (!size.ok()) return size.error();
    *field = size.value();
  }
  const std::string stub_dir = work_dir + "/stub";
  for (const char* file : {"model.h", "test_input.h"}) {
    core::Result<std::string> text = core::ReadTextFile(options.out_dir + "/" + file);
    if (!text.ok()) return text.error();
    if (core::Status s = core::WriteFileAtomic(stub_dir + "/" + file, text.value()); !s.ok()) return s;
  }
  return MeasureKernels(stub_dir, target, source_root, code);
}

// Bytes per kernel call: the least-squares slope, rounded up; the base is the largest residual,
// so no sample exceeds the estimate.
void FitCallBytes(const std::vector<Sample>& fit, CodeSize& code) {
  double mean_calls = 0, mean_rest = 0;
  for (const Sample& s : fit) {
    mean_calls += static_cast<double>(s.calls) / fit.size(), mean_rest += static_cast<double>(s.rest) / fit.size();
  }
  double covariance = 0, variance = 0;
  for (const Sample& s : fit) {
    covariance += (s.calls - mean_calls) * (s.rest - mean_rest);
    variance += (s.calls - mean_calls) * (s.calls - mean_calls);
  }
  code.call_bytes = static_cast<int64_t>(std::ceil(variance > 0 ? covariance / variance : 0));
  code.model_base_bytes = 0;
  for (const Sample& s : fit)
    code.model_base_bytes = std::max(code.model_base_bytes, s.rest - code.call_bytes * s.calls);
}

}  // namespace

core::Result<CodeSize> MeasureCodeSize(const core::HwProfile& hw, const core::OfaSpace& space, int samples,
                                       const std::string& source_root, const std::string& work_dir) {
  CodeSize code;
  code.core = hw.core;
  const std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  code.source = std::string("nas_profile code-size on ") + date + ": arm-none-eabi-gcc -mcpu=" + hw.core +
                " -O2 -ffunction-sections -fdata-sections, --gc-sections; " + std::to_string(samples) + " random '" +
                space.name + "' subnets x 3 modes";
  const FirmwareTarget target = TargetFor(hw);
  std::mt19937 rng(11);
  std::vector<Sample> fit;
  const memory_planner::PlanMode modes[] = {memory_planner::PlanMode::kPerLayer, memory_planner::PlanMode::kInPlace,
                                            memory_planner::PlanMode::kPatch};
  for (int i = 0; i < samples; ++i) {
    const core::Graph graph = core::BuildSubnetGraph(space, core::SampleSubnet(space, rng)).value();
    for (memory_planner::PlanMode mode : modes) {
      const memory_planner::MemoryPlan plan = memory_planner::PlanDeployed(graph, mode);
      ExportOptions options{
          work_dir + "/model", "code_size", source_root, KernelSet::kOptimized, true, false, false, true};
      core::Result<ExportResult> exported = ExportRandomNetwork(graph, plan, hw, options, rng);
      if (!exported.ok()) return exported.error();
      if (i == 0 && mode == modes[0]) {  // the parameter structs and the kernels, once
        const core::Status s = MeasureParamsAndKernels(exported.value(), options, target, source_root, work_dir, code);
        if (!s.ok()) return s.error();
      }
      const int64_t linked = *exported.value().model_flash_bytes;  // measured inside the export
      CodeSize without_calls = code;                               // everything but the per-call and base bytes
      without_calls.call_bytes = 0;
      without_calls.model_base_bytes = 0;
      core::Result<memory_planner::FlashEstimate> known = memory_planner::EstimateFlash(graph, plan, without_calls);
      if (!known.ok()) return known.error();
      fit.push_back(
          {static_cast<int64_t>(memory_planner::PlanCalls(graph, plan).size()), linked - known.value().Total()});
    }
  }
  FitCallBytes(fit, code);
  return code;
}

}  // namespace kilonas::engine
