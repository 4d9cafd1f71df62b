// Hardware profile of one MCU (hw_profiles/<mcu>.json): core, clock, memories, the bytes reserved
// for stack/runtime, where its latency LUT and its core's code sizes are, and its memory map.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace kilonas::core {

struct HwProfile {
  std::string name;
  std::string description;
  std::string core;  // "cortex-m4" or "cortex-m7"
  double clock_mhz = 0;
  int64_t sram_bytes = 0;
  int64_t flash_bytes = 0;
  int64_t reserved_sram_bytes = 0;   // stack, runtime statics, I/O buffers outside the arena
  int64_t reserved_flash_bytes = 0;  // startup code, vector table, HAL, libc
  std::string code_size;             // measured code sizes of this core (flash estimate)
  double cpi = 1.0;                  // cycles per instruction: converts QEMU instruction counts to cycles
  bool cpi_measured = false;         // false: assumed, to be replaced by a board measurement (DWT)
  std::string latency_lut;           // path of the per-MCU latency LUT
  int64_t flash_origin = 0;          // where this MCU maps flash and the SRAM the arena lives in
  int64_t ram_origin = 0x20000000;   // (board linker script link_board.ld)
  std::string qemu_machine;          // qemu-system-arm -M value: mps2-an500 (M7) or mps2-an386 (M4)
  std::string qemu_board;            // what QEMU emulates instead of this MCU (its memory map)
  // The core's floating-point unit as -mfpu names it (fpv4-sp-d16 on a Cortex-M4F, fpv5-sp-d16 or
  // fpv5-d16 on a Cortex-M7), or "" for none: on-device training's fp32 kernels are built for it
  // (inference is integer and stays soft-float).
  std::string fpu;

  // What the model may use: total minus reserved.
  int64_t SramBudget() const { return sram_bytes - reserved_sram_bytes; }
  int64_t FlashBudget() const { return flash_bytes - reserved_flash_bytes; }
};

// Parses and validates a profile; errors name `source` and the offending key.
Result<HwProfile> ParseHwProfile(const std::string& text, const std::string& source);
// Relative `code_size` and `latency_lut` paths are resolved against the profile's folder (Parse
// leaves them as written).
Result<HwProfile> LoadHwProfile(const std::string& path);

}  // namespace kilonas::core
