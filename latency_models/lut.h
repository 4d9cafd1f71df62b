// Per-MCU latency lookup table: cycles per OpKey, with the provenance of the numbers
// (latency_models/luts/<mcu>.json). Built by nas_profile from QEMU instruction counts (cycles =
// instructions x the profile's CPI factor) or imported from DWT cycle counts of a real board.
#pragma once

#include <string>
#include <unordered_map>

#include "core/hw_profile.h"
#include "core/status.h"
#include "latency_models/op_key.h"

namespace kilonas::latency_models {

struct LutEntry {
  uint64_t instructions = 0;  // 0 when measured as cycles on a board
  double cycles = 0;          // > 0
};

struct Provenance {
  std::string engine_version;
  std::string method;  // "qemu-icount", "dwt", or "qemu-icount+dwt" (board cycles replaced some)
  std::string date;    // ISO 8601, UTC
  std::string core;
  std::string measured_on;  // QEMU machine or board name
  double cpi = 1.0;         // cycles per instruction used for qemu-icount entries
  double clock_mhz = 0;
  std::string notes;
};

struct LatencyLut {
  std::string mcu;
  Provenance provenance;
  std::unordered_map<OpKey, LutEntry, OpKeyHash> entries;
};

// Strict JSON; errors name the file and key (or the bad op key).
core::Result<LatencyLut> ParseLut(const std::string& text, const std::string& source);
core::Result<LatencyLut> LoadLut(const std::string& path);
// A LUT prices a profile only when it has entries and its provenance names the profile's MCU,
// core, clock and (for instruction counts) cpi; errors name the file.
core::Status CheckLutMatches(const LatencyLut& lut, const core::HwProfile& hw, const std::string& path);
// The profile's LUT (key latency_lut), or the LUT at `path` (nas_search --lut: one nas_profile built
// for another space), loaded and checked against the profile.
core::Result<LatencyLut> LoadLutFor(const core::HwProfile& hw, const std::string& path = "");
std::string LutToJson(const LatencyLut& lut);  // entries sorted by key: diff-friendly
core::Status SaveLut(const LatencyLut& lut, const std::string& path);

}  // namespace kilonas::latency_models
