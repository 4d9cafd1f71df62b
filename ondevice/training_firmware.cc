#include "ondevice/training_firmware.h"

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "core/file_io.h"
#include "ondevice/trainer.h"

namespace kilonas::ondevice {
namespace {

// Eight hex digits (the firmware's words), without throwing on anything else.
bool ParseWord(const std::string& text, uint32_t& word) {
  if (text.size() != 8 || text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) return false;
  word = static_cast<uint32_t>(std::strtoul(text.c_str(), nullptr, 16));
  return true;
}

// KILONAS_TRAIN, KILONAS_CHECKSUM and KILONAS_ARENA_INTACT lines of the firmware's output.
core::Status ParseRun(const engine::QemuRun& qemu, int64_t steps, TrainingFirmwareRun& run) {
  std::istringstream lines(qemu.log);
  bool checksum = false, canary = false;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    std::string tag;
    fields >> tag;
    if (tag == "KILONAS_TRAIN") {
      uint64_t sample = 0, ticks = 0;
      std::string bits;
      uint32_t word = 0;
      if (!(fields >> sample >> ticks >> bits) || !ParseWord(bits, word)) {
        return core::Status::Fail("bad firmware line: " + line);
      }
      float loss = 0;
      std::memcpy(&loss, &word, sizeof loss);
      run.losses.push_back(loss);
      if (sample != run.instructions.size()) return core::Status::Fail("firmware lines out of order: " + line);
      engine::QemuRun timed;
      timed.ticks = ticks;
      run.instructions.push_back(timed.Instructions());
    } else if (tag == "KILONAS_CHECKSUM") {
      std::string hex;
      checksum = static_cast<bool>(fields >> hex) && ParseWord(hex, run.checksum);
    } else if (tag == "KILONAS_ARENA_INTACT") {
      int intact = 0;
      canary = static_cast<bool>(fields >> intact);
      run.arena_intact = intact == 1;
    }
  }
  if (static_cast<int64_t>(run.losses.size()) != steps || !checksum || !canary) {
    return core::Status::Fail("the training firmware printed " + std::to_string(run.losses.size()) + " of " +
                              std::to_string(steps) + " samples" + (checksum ? "" : ", no checksum") + ":\n" +
                              qemu.log);
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<TrainingFirmwareRun> RunTrainingFirmware(const engine::Model& model, const UpdateScheme& scheme,
                                                      const TrainingSamples& samples, const core::HwProfile& profile,
                                                      const TrainingFirmwareOptions& options) {
  if (samples.inputs.empty() || samples.inputs.size() != samples.labels.size() || samples.steps < 1) {
    return core::Error{"the training firmware needs labelled samples and at least one step"};
  }
  core::Result<TrainingProgram> program = BuildTrainingProgram(model, scheme);
  if (!program.ok()) return program.error();
  std::error_code error;
  std::filesystem::create_directories(options.dir, error);
  if (error) return core::Error{options.dir + ": cannot create the directory: " + error.message()};
  const engine::GeneratedSources sources = GenerateTrainingC(model, program.value(), scheme.model);
  for (const auto& [file, text] : {std::pair<std::string, std::string>{"train.h", sources.header},
                                   {"train.c", sources.source},
                                   {"train_samples.h", GenerateTrainingSamples(samples)}}) {
    if (core::Status s = core::WriteFileAtomic(options.dir + "/" + file, text); !s.ok()) return s.error();
  }
  engine::FirmwareTarget target = engine::TargetFor(profile);
  if (options.fpu) target.fpu = profile.fpu;
  core::Result<engine::FirmwareBuild> build =
      engine::BuildFirmware(options.dir, target, options.source_root,
                            {options.source_root + "/engine/firmware/train_main.c", options.dir + "/train.c"});
  if (!build.ok()) return build.error();
  core::Result<engine::QemuRun> qemu = engine::RunInQemu(build.value(), target, 600, "KILONAS_TRAIN");
  if (!qemu.ok()) return qemu.error();
  TrainingFirmwareRun run;
  run.build = build.value();
  run.arena_bytes = program.value().layout.arena_bytes;
  if (core::Status s = ParseRun(qemu.value(), samples.steps, run); !s.ok()) return s.error();
  return run;
}

core::Result<FirmwareCheck> CheckTrainingFirmware(const engine::Model& model, const UpdateScheme& scheme,
                                                  const TrainingSamples& samples, const core::HwProfile& profile,
                                                  const TrainingFirmwareOptions& options) {
  core::Result<Trainer> host = Trainer::Create(model, scheme);
  if (!host.ok()) return host.error();
  FirmwareCheck check;
  for (int64_t k = 0; k < samples.steps && !samples.inputs.empty(); ++k) {
    const size_t s = static_cast<size_t>(k) % samples.inputs.size();
    core::Result<StepResult> r = host.value().Step(samples.inputs[s], samples.labels[s]);
    if (!r.ok()) return r.error();
    check.host_losses.push_back(r.value().loss);
  }
  check.host_checksum = ParameterChecksum(host.value().model(), host.value().program().layout);
  core::Result<TrainingFirmwareRun> run = RunTrainingFirmware(model, scheme, samples, profile, options);
  if (!run.ok()) return run.error();
  check.firmware = std::move(run).value();
  return check;
}

}  // namespace kilonas::ondevice
