#include "engine/export.h"

#include <filesystem>

#include "core/file_io.h"
#include "engine/codegen.h"
#include "engine/interpreter.h"
#include "engine/model_file.h"
#include "engine/quantizer.h"

namespace kilonas::engine {

std::vector<uint64_t> ExportResult::OpInstructions(size_t num_ops) const {
  std::vector<uint64_t> per_op(num_ops, 0);
  if (run) {
    for (const auto& [op, ticks] : run->step_ticks) per_op.at(op) += ticks * 40;
  }
  return per_op;
}

namespace {

// Everything of an export, written into options.out_dir.
core::Result<ExportResult> ExportInto(const Model& quantized, const std::vector<int8_t>& input,
                                      const core::HwProfile& hw, const ExportOptions& options) {
  ExportResult result;
  result.model_path = options.out_dir + "/model.kmodel";
  if (core::Status s = SaveModel(quantized, result.model_path); !s.ok()) return s.error();
  core::Result<Model> model = LoadModel(result.model_path);  // what users load: check it
  if (!model.ok()) return model.error();
  core::Result<Interpreter> interpreter = Interpreter::Create(model.value(), options.kernels);
  if (!interpreter.ok()) return interpreter.error();
  result.arena_bytes = interpreter.value().arena_bytes();
  core::Result<std::vector<int8_t>> host_output = interpreter.value().Invoke(input);
  if (!host_output.ok()) return host_output.error();
  result.host_output = std::move(host_output).value();

  for (const auto& [file, bytes] : options.extra_files) {
    if (core::Status s = core::WriteFileAtomic(options.out_dir + "/" + file, bytes); !s.ok()) return s.error();
  }
  const GeneratedSources sources = GenerateC(model.value(), interpreter.value().schedule(), options.network);
  for (const auto& [file, text] :
       {std::pair{std::string("model.h"), sources.header}, std::pair{std::string("model.c"), sources.source},
        std::pair{std::string("test_input.h"), GenerateTestInput(input)}}) {
    if (core::Status s = core::WriteFileAtomic(options.out_dir + "/" + file, text); !s.ok()) return s.error();
  }
  core::Result<std::string> board_linker = LinkerScript(BoardTargetFor(hw), options.source_root);
  if (!board_linker.ok()) return board_linker.error();
  if (core::Status s = core::WriteFileAtomic(options.out_dir + "/link_board.ld", board_linker.value()); !s.ok()) {
    return s.error();
  }
  if (!options.build_firmware) return result;
  FirmwareTarget target = TargetFor(hw);
  target.profile_steps = options.profile_steps;
  core::Result<FirmwareBuild> build = BuildFirmware(options.out_dir, target, options.source_root);
  if (!build.ok()) return build.error();
  result.build = build.value();
  if (options.measure_model_flash) {  // inside the staged export, so the harness is one of its files
    core::Result<int64_t> flash = MeasureModelFlash(options.out_dir, target, options.source_root, build.value());
    if (!flash.ok()) return flash.error();
    result.model_flash_bytes = flash.value();
  }
  if (!options.run_firmware) return result;
  core::Result<QemuRun> run = RunInQemu(build.value(), target);
  if (!run.ok()) return run.error();
  if (run.value().output.size() != result.host_output.size()) {
    return core::Error{"firmware printed " + std::to_string(run.value().output.size()) + " output bytes, expected " +
                       std::to_string(result.host_output.size()) + ":\n" + run.value().log.substr(0, 2000)};
  }
  result.run = run.value();
  return result;
}

}  // namespace

core::Result<ExportResult> ExportModel(const Model& quantized, const std::vector<int8_t>& input,
                                       const core::HwProfile& hw, const ExportOptions& options) {
  // Staged beside out_dir and renamed into place as a whole: a failure (a full disk, a compiler
  // error) leaves the previous export untouched, never a new model file beside old sources.
  if (core::Status s = core::CheckReplaceable(options.out_dir, "model.kmodel"); !s.ok()) return s.error();
  ExportOptions staged = options;
  staged.out_dir = core::FreshStagingDirectory(options.out_dir);
  core::Result<ExportResult> result = ExportInto(quantized, input, hw, staged);
  core::Status committed =
      result.ok() ? core::ReplaceDirectory(staged.out_dir, options.out_dir, "model.kmodel") : result.status();
  std::error_code ec;
  std::filesystem::remove_all(staged.out_dir, ec);
  if (!committed.ok()) return committed.error();
  result.value().model_path = options.out_dir + "/model.kmodel";
  if (result.value().build) result.value().build->elf = options.out_dir + "/firmware.elf";
  return result;
}

core::Result<ExportResult> ExportRandomNetwork(const core::Graph& graph, const memory_planner::MemoryPlan& plan,
                                               const core::HwProfile& hw, const ExportOptions& options,
                                               std::mt19937& rng) {
  const core::FloatModel float_model = core::RandomFloatModel(graph, rng);
  std::vector<float> image(static_cast<size_t>(graph.tensor(graph.input()).shape.Elements()));
  std::uniform_real_distribution<float> pixel(-1.0f, 1.0f);
  for (float& v : image) v = pixel(rng);
  core::Result<Model> model = Quantize(float_model, {image}, ExecutionFor(plan));
  if (!model.ok()) return model.error();
  return ExportModel(model.value(), QuantizeInput(model.value(), image), hw, options);
}

}  // namespace kilonas::engine
