// Hardware profile of one MCU (hw_profiles/<mcu>.json): core, clock, memories, the bytes reserved
// for stack/runtime, and the engine's code size for the flash estimate.
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace kilonas::core {

struct HwProfile {
  std::string name;
  std::string description;
  std::string core;  // "cortex-m4" or "cortex-m7"
  bool fpu = true;
  double clock_mhz = 0;
  int64_t sram_bytes = 0;
  int64_t flash_bytes = 0;
  int64_t reserved_sram_bytes = 0;   // stack, runtime statics, I/O buffers outside the arena
  int64_t reserved_flash_bytes = 0;  // startup code, vector table, HAL, libc
  int64_t runtime_code_bytes = 0;    // engine kernels (.text) for this core
  bool runtime_code_measured = false;  // false: an estimate until measured from the built runtime
  double cpi = 1.0;           // cycles per instruction: converts QEMU instruction counts to cycles
  bool cpi_measured = false;  // false: assumed, to be replaced by a board measurement (DWT)
  std::string latency_lut;             // path of the per-MCU latency LUT, relative to the repo
  std::string qemu_machine;            // qemu-system-arm -M value used for profiling

  // What the model may use: total minus reserved.
  int64_t SramBudget() const { return sram_bytes - reserved_sram_bytes; }
  int64_t FlashBudget() const { return flash_bytes - reserved_flash_bytes; }
};

// Parses and validates a profile; errors name `source` and the offending key.
Result<HwProfile> ParseHwProfile(const std::string& text, const std::string& source);
Result<HwProfile> LoadHwProfile(const std::string& path);

}  // namespace kilonas::core
