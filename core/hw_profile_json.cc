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
  p.fpu = r.Bool("fpu");
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
  p.runtime_code_bytes = NonNegativeBytes(r, "runtime_code_bytes");
  p.runtime_code_measured = r.Bool("runtime_code_measured");
  p.cpi = r.Number("cpi");
  if (!(p.cpi > 0 && p.cpi < 10)) r.Fail("cpi", "must be in (0, 10)");
  p.cpi_measured = r.Bool("cpi_measured");
  p.latency_lut = r.String("latency_lut");
  p.qemu_machine = r.String("qemu_machine");
  r.RejectUnknownKeys();
  return p;
}

}  // namespace

Result<HwProfile> ParseHwProfile(const std::string& text, const std::string& source) {
  return ParseJsonWith<HwProfile>(text, source, FromJson);
}

Result<HwProfile> LoadHwProfile(const std::string& path) {
  Result<std::string> text = ReadTextFile(path);
  if (!text.ok()) return text.error();
  return ParseHwProfile(text.value(), path);
}

}  // namespace kilonas::core
