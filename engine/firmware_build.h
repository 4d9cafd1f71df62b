// Builds the generated model into Cortex-M firmware with arm-none-eabi-gcc and runs it under
// qemu-system-arm with -icount shift=0, where one CMSDK timer tick is exactly 40 instructions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/hw_profile.h"
#include "core/status.h"

namespace kilonas::engine {

struct FirmwareTarget {
  std::string cpu;           // -mcpu value
  std::string qemu_machine;  // -M value
  int64_t flash_bytes = 0;   // linker script limits (the device totals)
  int64_t ram_bytes = 0;
  int64_t flash_origin = 0;         // memory map: QEMU's MPS2 boards put code at 0x0 and RAM at
  int64_t ram_origin = 0x20000000;  // 0x20000000; a real MCU's come from its profile
  int64_t stack_bytes = 8192;
  bool profile_steps = false;        // time every kernel call (KILONAS_PROFILE_STEPS)
  std::vector<std::string> defines;  // extra -D NAME=VALUE
  // -mfpu of a hard-float build (the profile's fpu); "" builds soft-float, as every inference
  // firmware is (integer kernels; code sizes and LUTs are measured so).
  std::string fpu;
};

// The QEMU board that stands in for the profile's MCU (its memory map, the profile's core and sizes).
FirmwareTarget TargetFor(const core::HwProfile& profile);
// The same firmware linked for the MCU itself: the profile's flash_origin and ram_origin.
FirmwareTarget BoardTargetFor(const core::HwProfile& profile);

// link.ld for a target, from engine/firmware/link.ld.in under `source_root`.
core::Result<std::string> LinkerScript(const FirmwareTarget& target, const std::string& source_root);

struct FirmwareBuild {
  std::string elf;
  std::string build_script;  // the commands used, also written as build.sh next to the ELF
  int64_t text = 0, rodata = 0, data = 0, bss = 0;
  int64_t FlashBytes() const { return text + rodata + data; }
  int64_t RamBytes() const { return data + bss; }
};

// `dir` holds model.h, model.c and test_input.h; `source_root` is the kilonas source tree (for
// runtime/ and engine/firmware). `app_sources` replaces firmware/main.c + dir/model.c
// (the op benchmark brings its own main; relative paths are from the working directory). The
// build runs inside `dir` with paths relative to it, so the directory may be moved afterwards.
// Errors carry the compiler's output.
core::Result<FirmwareBuild> BuildFirmware(const std::string& dir, const FirmwareTarget& target,
                                          const std::string& source_root,
                                          const std::vector<std::string>& app_sources = {});

// The firmware of `dir` with engine/firmware/model_stub.c in place of model.c: the harness alone.
core::Result<FirmwareBuild> BuildStubFirmware(const std::string& dir, const FirmwareTarget& target,
                                              const std::string& source_root);

// Flash of the model in a built firmware: the image's flash minus that of the same firmware with
// engine/firmware/model_stub.c in place of model.c (built in dir/harness). What the flash
// estimate must bound: generated code and constants plus the runtime kernels the model calls.
core::Result<int64_t> MeasureModelFlash(const std::string& dir, const FirmwareTarget& target,
                                        const std::string& source_root, const FirmwareBuild& build);

struct QemuRun {
  std::vector<int8_t> output;
  uint64_t ticks = 0;
  // (op, ticks) per "KILONAS_STEP op ticks" line (profiled model) or "KILONAS_OP case ticks"
  // line (op benchmark).
  std::vector<std::pair<int, uint64_t>> step_ticks;
  uint64_t Instructions() const { return ticks * 40; }
  std::string log;
};

core::Result<QemuRun> RunInQemu(const FirmwareBuild& build, const FirmwareTarget& target, int timeout_s = 300,
                                const std::string& step_tag = "KILONAS_STEP");

// Runs a shell command, capturing stdout and stderr. Returns the exit status.
int RunCommand(const std::string& command, std::string& output);

}  // namespace kilonas::engine
