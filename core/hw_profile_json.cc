#include <filesystem>
#include <stdexcept>
#include <string>

#include "core/hw_profile.h"
#include "core/json_util.h"

namespace kilonas::core {
namespace {

constexpr int kHwProfileSchemaVersion = 1;

int64_t PositiveBytes(ObjectReader& r, const std::string& key) {
  const int64_t v = r.Int64(key);
  if (v <= 0) r.Fail(key, "must be positive, got " + std::to_string(v));
  return v;
}

int64_t NonNegativeBytes(ObjectReader& r, const std::string& key) {
  const int64_t v = r.Int64(key);
  if (v < 0) r.Fail(key, "must be >= 0, got " + std::to_string(v));
  return v;
}

// A 32-bit address written as a hex string ("0x24000000"): JSON has no hex numbers.
int64_t Address(ObjectReader& r, const std::string& key) {
  const std::string text = r.String(key);
  size_t used = 0;
  unsigned long long v = 0;
  try {
    v = std::stoull(text, &used, 16);
  } catch (const std::exception&) {
    used = 0;
  }
  if (text.rfind("0x", 0) != 0 || used != text.size() || v > 0xFFFFFFFFull || v % 4 != 0) {
    r.Fail(key, "'" + text + "' is not a word-aligned 32-bit hex address such as \"0x20000000\"");
  }
  return static_cast<int64_t>(v);
}

HwProfile FromJson(const nlohmann::json& doc) {
  ObjectReader r(doc, "");
  r.RequireSchemaVersion(kHwProfileSchemaVersion);
  HwProfile p;
  p.name = r.String("name");
  if (p.name.empty()) r.Fail("name", "must not be empty");
  p.description = r.String("description");
  p.core = r.String("core");
  if (p.core != "cortex-m4" && p.core != "cortex-m7") {
    r.Fail("core", "'" + p.core + "' is not supported (cortex-m4, cortex-m7)");
  }
  p.clock_mhz = r.Number("clock_mhz");
  if (!(p.clock_mhz > 0 && p.clock_mhz <= 2000)) r.Fail("clock_mhz", "must be in (0, 2000]");
  p.sram_bytes = PositiveBytes(r, "sram_bytes");
  p.flash_bytes = PositiveBytes(r, "flash_bytes");
  p.reserved_sram_bytes = NonNegativeBytes(r, "reserved_sram_bytes");
  if (p.reserved_sram_bytes >= p.sram_bytes) r.Fail("reserved_sram_bytes", "must be below sram_bytes");
  p.reserved_flash_bytes = NonNegativeBytes(r, "reserved_flash_bytes");
  if (p.reserved_flash_bytes >= p.flash_bytes) {
    r.Fail("reserved_flash_bytes", "must be below flash_bytes");
  }
  p.code_size = r.String("code_size");
  if (p.code_size.empty()) r.Fail("code_size", "must name the core's code size file (nas_profile code-size)");
  p.cpi = r.Number("cpi");
  if (!(p.cpi > 0 && p.cpi < 10)) r.Fail("cpi", "must be in (0, 10)");
  p.cpi_measured = r.Bool("cpi_measured");
  p.latency_lut = r.String("latency_lut");
  if (p.latency_lut.empty()) r.Fail("latency_lut", "must name the MCU's LUT file (nas_profile builds it)");
  p.flash_origin = Address(r, "flash_origin");
  p.ram_origin = Address(r, "ram_origin");
  p.qemu_machine = r.String("qemu_machine");
  const std::string expected_machine = p.core == "cortex-m7" ? "mps2-an500" : "mps2-an386";
  if (p.qemu_machine != expected_machine) {
    r.Fail("qemu_machine", "'" + p.qemu_machine + "' does not emulate a " + p.core + " (use " + expected_machine + ")");
  }
  p.qemu_board = r.String("qemu_board");
  if (p.qemu_board.empty()) r.Fail("qemu_board", "must say which board QEMU emulates instead of this MCU");
  if (r.Has("fpu")) p.fpu = r.String("fpu");
  const bool m7_fpu = p.fpu == "fpv5-sp-d16" || p.fpu == "fpv5-d16";
  if (!p.fpu.empty() && !(p.core == "cortex-m7" ? m7_fpu : p.fpu == "fpv4-sp-d16")) {
    r.Fail("fpu", "'" + p.fpu + "' is not an FPU of a " + p.core +
                      (p.core == "cortex-m7" ? " (fpv5-sp-d16, fpv5-d16)" : " (fpv4-sp-d16)") +
                      "; leave it out for none");
  }
  r.RejectUnknownKeys();
  return p;
}

}  // namespace

Result<HwProfile> ParseHwProfile(const std::string& text, const std::string& source) {
  return ParseJsonWith<HwProfile>(text, source, FromJson);
}

Result<HwProfile> LoadHwProfile(const std::string& path) {
  Result<HwProfile> profile = LoadFileWith(path, ParseHwProfile);
  if (!profile.ok()) return profile;
  // A profile names its files relative to its own folder, so that any working directory (and a
  // copy of the profile beside its own LUT) finds them.
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  for (std::string* file : {&profile.value().code_size, &profile.value().latency_lut}) {
    if (std::filesystem::path(*file).is_relative()) *file = (folder / *file).lexically_normal().string();
  }
  return profile;
}

}  // namespace kilonas::core
