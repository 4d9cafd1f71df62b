// nas_profile: builds a per-MCU latency LUT by running every distinct op of the search space in
// profiling firmware under qemu-system-arm -icount (instructions x the profile's CPI = cycles),
// validates the LUT's predictions against whole-network firmware runs of random subnets, and
// imports DWT cycle logs from a real board into the same LUT format.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <random>
#include <sstream>

#include <CLI/CLI.hpp>

#include "apps/cli.h"
#include "core/file_io.h"
#include "core/hw_profile.h"
#include "core/ofa_space.h"
#include "engine/export.h"
#include "engine/op_benchmark.h"
#include "engine/quantizer.h"
#include "latency_models/predictor.h"
#include "latency_models/space_keys.h"

#ifndef KILONAS_SOURCE_DIR
#define KILONAS_SOURCE_DIR "."
#endif
#ifndef KILONAS_VERSION
#define KILONAS_VERSION "unknown"
#endif

namespace {

using namespace kilonas;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_profile", message); }

std::string UtcNow() {
  const std::time_t now = std::time(nullptr);
  char text[32];
  std::strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

latency_models::LatencyLut EmptyLut(const core::HwProfile& hw, const std::string& method, const std::string& on) {
  latency_models::LatencyLut lut;
  lut.mcu = hw.name;
  lut.provenance = {KILONAS_VERSION, method, UtcNow(), hw.core, on, hw.cpi, hw.clock_mhz, ""};
  return lut;
}

// Predicted vs measured whole-network instructions of random subnets (inplace plan, SMLAD kernels).
int Validate(const latency_models::LatencyPredictor& predictor, const core::OfaSpace& space, const core::HwProfile& hw,
             int count, const std::string& work_dir) {
  std::mt19937 rng(2024);
  double sum_error = 0, max_error = 0;
  int misses = 0;
  std::ostringstream rows;
  for (int i = 0; i < count; ++i) {
    const core::SubnetConfig config = core::SampleSubnet(space, rng);
    const core::Graph graph = core::BuildSubnetGraph(space, config).value();
    const latency_models::LatencyPrediction p = predictor.Predict(graph);
    const double predicted = p.cycles / hw.cpi;  // back to instructions
    const engine::FloatModel fm = engine::RandomFloatModel(graph, rng);
    std::vector<float> image(graph.tensor(graph.input()).shape.Elements(), 0.0f);
    for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    core::Result<engine::Model> model = engine::Quantize(fm, {image}, {}, {});
    if (!model.ok()) return Fail(model.error().message);
    const engine::ExportOptions options{work_dir + "/validate", "validate", KILONAS_SOURCE_DIR, engine::KernelSet::kOptimized, true, false};
    core::Result<engine::ExportResult> r = engine::ExportModel(model.value(), engine::QuantizeInput(model.value(), image), hw, options);
    if (!r.ok()) return Fail(r.error().message);
    const double measured = static_cast<double>(r.value().run->Instructions());
    const double error = std::abs(predicted - measured) / measured;
    sum_error += error;
    max_error = std::max(max_error, error);
    misses += p.misses;
    rows << "  subnet " << i << ": r" << config.resolution << " w" << config.width_mult << ", " << graph.TotalMacs() / 1e6
         << "M MACs: predicted " << static_cast<uint64_t>(predicted) << ", measured " << static_cast<uint64_t>(measured)
         << " instructions (" << (predicted >= measured ? "+" : "-") << std::abs(100 * (predicted - measured) / measured)
         << "%)\n";
    if ((i + 1) % 10 == 0) std::printf("validated %d/%d subnets...\n", i + 1, count);
  }
  std::printf("%s", rows.str().c_str());
  std::printf("validation on %d random subnets of '%s' (%s): mean abs error %.2f%%, max %.2f%%, LUT misses %d\n", count,
              space.name.c_str(), hw.name.c_str(), 100 * sum_error / count, 100 * max_error, misses);
  return 0;
}

int Import(const core::HwProfile& hw, const std::string& keys_path, const std::string& log_path, const std::string& out,
           const std::string& board) {
  core::Result<std::string> keys_text = core::ReadTextFile(keys_path);
  if (!keys_text.ok()) return Fail(keys_text.error().message);
  std::vector<latency_models::OpKey> keys;
  std::istringstream key_lines(keys_text.value());
  for (std::string line; std::getline(key_lines, line);) {
    if (line.empty()) continue;
    core::Result<latency_models::OpKey> key = latency_models::ParseOpKey(line.substr(line.find('\t') + 1));
    if (!key.ok()) return Fail(keys_path + ": " + key.error().message);
    keys.push_back(key.value());
  }
  core::Result<std::string> log = core::ReadTextFile(log_path);
  if (!log.ok()) return Fail(log.error().message);
  latency_models::LatencyLut lut = EmptyLut(hw, "dwt", board);
  lut.provenance.notes = "DWT CYCCNT per op from " + log_path;
  std::istringstream lines(log.value());
  int line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    std::istringstream fields(line);
    std::string tag;
    long long index = -1, cycles = -1;
    if (!(fields >> tag) || tag != "KILONAS_OP") continue;
    if (!(fields >> index >> cycles) || index < 0 || static_cast<size_t>(index) >= keys.size() || cycles < 0) {
      return Fail(log_path + ":" + std::to_string(line_number) + ": bad line '" + line + "'");
    }
    lut.entries[keys[index]] = {0, static_cast<double>(cycles)};
  }
  if (lut.entries.empty()) return Fail(log_path + ": no KILONAS_OP lines");
  if (core::Status s = latency_models::SaveLut(lut, out); !s.ok()) return Fail(s.message());
  std::printf("imported %zu of %zu op cycle counts into %s\n", lut.entries.size(), keys.size(), out.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Per-MCU latency LUT: profile ops in QEMU, validate, import board logs"};
  std::string hw_path = "hw_profiles/stm32f746.json", space_name = "fmnist", out, work_dir, lut_path;
  int validate = 50;
  app.add_option("--hw", hw_path, "hardware profile")->capture_default_str();
  app.add_option("--space", space_name, "search space whose ops are profiled")->capture_default_str();
  app.add_option("--out", out, "LUT to write (default: the profile's latency_lut)");
  app.add_option("--work-dir", work_dir, "firmware build directory (default out/profile/<mcu>)");
  app.add_option("--validate", validate, "random subnets to validate against whole-network runs")->capture_default_str();
  app.add_option("--lut", lut_path, "validate this existing LUT instead of profiling");
  CLI::App* import = app.add_subcommand("import", "build a LUT from a board's DWT log of the profiling firmware");
  std::string keys_path, log_path, board = "board";
  import->add_option("--keys", keys_path, "keys.txt written by a profiling run")->required();
  import->add_option("--log", log_path, "the board's serial log with KILONAS_OP lines")->required();
  import->add_option("--board", board, "board name for the provenance")->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  core::Result<core::HwProfile> hw = core::LoadHwProfile(hw_path);
  if (!hw.ok()) return Fail(hw.error().message);
  if (out.empty()) out = hw.value().latency_lut;
  if (work_dir.empty()) work_dir = "out/profile/" + hw.value().name;
  if (*import) return Import(hw.value(), keys_path, log_path, out, board);
  core::Result<core::OfaSpace> space = core::BuiltinSpace(space_name);
  if (!space.ok()) return Fail(space.error().message);

  latency_models::LatencyLut lut;
  if (!lut_path.empty()) {
    core::Result<latency_models::LatencyLut> loaded = latency_models::LoadLut(lut_path);
    if (!loaded.ok()) return Fail(loaded.error().message);
    lut = loaded.value();
  } else {
    const std::vector<latency_models::OpKey> keys = latency_models::SpaceOpKeys(space.value());
    std::printf("profiling %zu distinct ops of '%s' on %s (qemu -M %s -icount shift=0)...\n", keys.size(),
                space_name.c_str(), hw.value().name.c_str(), hw.value().qemu_machine.c_str());
    std::vector<engine::OpCase> cases;
    std::ostringstream key_list;
    for (size_t i = 0; i < keys.size(); ++i) {
      cases.push_back({keys[i].kind, keys[i].kernel, keys[i].stride, keys[i].in, keys[i].out});
      key_list << i << "\t" << keys[i].ToString() << "\n";
    }
    const auto start = std::chrono::steady_clock::now();
    core::Result<std::vector<uint64_t>> instructions =
        engine::RunOpBenchmark(cases, engine::TargetFor(hw.value()), KILONAS_SOURCE_DIR, work_dir);
    if (!instructions.ok()) return Fail(instructions.error().message);
    lut = EmptyLut(hw.value(), "qemu-icount", "qemu-system-arm -M " + hw.value().qemu_machine);
    lut.provenance.notes = "instructions from the CMSDK timer under -icount shift=0 (40 per tick, +-40); cycles = "
                           "instructions x cpi" + std::string(hw.value().cpi_measured ? "" : " (cpi assumed, not measured)") +
                           "; SMLAD conv/pointwise, in-place depthwise, unfused add";
    for (size_t i = 0; i < keys.size(); ++i) {
      lut.entries[keys[i]] = {instructions.value()[i], static_cast<double>(instructions.value()[i]) * hw.value().cpi};
    }
    if (core::Status s = latency_models::SaveLut(lut, out); !s.ok()) return Fail(s.message());
    if (core::Status s = core::WriteFileAtomic(work_dir + "/keys.txt", key_list.str()); !s.ok()) return Fail(s.message());
    std::printf("wrote %s (%zu ops, %.1f s); board firmware: %s/batch*/op_benchmark.c (-DKILONAS_DWT), keys %s/keys.txt\n",
                out.c_str(), keys.size(),
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), work_dir.c_str(),
                work_dir.c_str());
  }
  if (validate <= 0) return 0;
  return Validate(latency_models::LatencyPredictor(lut), space.value(), hw.value(), validate, work_dir);
}
