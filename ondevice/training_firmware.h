// The training firmware: the training program of a model and scheme generated as C
// (training_codegen.h), built for a profile's core (hard-float for its FPU, or soft-float) and run
// in QEMU on labelled samples; what it prints (each sample's loss and instructions, the trained
// parameters' checksum, the arena's canary) read back for comparison with the host trainer.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/hw_profile.h"
#include "engine/firmware_build.h"
#include "ondevice/training_codegen.h"

namespace kilonas::ondevice {

struct TrainingFirmwareRun {
  std::vector<float> losses;           // per sample, as the firmware computed them
  std::vector<uint64_t> instructions;  // per sample (QEMU's instruction count)
  uint32_t checksum = 0;               // of the trained parameters (ParameterChecksum)
  bool arena_intact = false;
  int64_t arena_bytes = 0;  // the planned training arena the firmware holds
  engine::FirmwareBuild build;
};

struct TrainingFirmwareOptions {
  std::string dir;          // where train.c, train.h, train_samples.h and the ELF go
  std::string source_root;  // the kilonas source tree (runtime/, engine/firmware/)
  bool fpu = true;          // build for the profile's FPU (when it has one); false: soft-float
};

// The firmware's run beside the host trainer's on the same samples: whether every loss and the
// trained parameters' checksum are the same bits.
struct FirmwareCheck {
  TrainingFirmwareRun firmware;
  std::vector<float> host_losses;
  uint32_t host_checksum = 0;
  bool BitExact() const { return firmware.losses == host_losses && firmware.checksum == host_checksum; }
};
core::Result<FirmwareCheck> CheckTrainingFirmware(const engine::Model& model, const UpdateScheme& scheme,
                                                  const TrainingSamples& samples, const core::HwProfile& profile,
                                                  const TrainingFirmwareOptions& options);

core::Result<TrainingFirmwareRun> RunTrainingFirmware(const engine::Model& model, const UpdateScheme& scheme,
                                                      const TrainingSamples& samples, const core::HwProfile& profile,
                                                      const TrainingFirmwareOptions& options);

}  // namespace kilonas::ondevice
