#include <algorithm>
#include <cmath>

#include "core/json_util.h"
#include "latency_models/lut.h"

namespace kilonas::latency_models {
namespace {

constexpr int kLutSchemaVersion = 1;

LatencyLut FromJson(const nlohmann::json& doc) {
  core::ObjectReader r(doc, "");
  r.RequireSchemaVersion(kLutSchemaVersion);
  LatencyLut lut;
  lut.mcu = r.String("mcu");
  core::ObjectReader p(r.Object("provenance"), "provenance");
  lut.provenance.engine_version = p.String("engine_version");
  lut.provenance.method = p.String("method");
  if (lut.provenance.method != "qemu-icount" && lut.provenance.method != "dwt") {
    p.Fail("method", "must be qemu-icount or dwt");
  }
  lut.provenance.date = p.String("date");
  lut.provenance.core = p.String("core");
  lut.provenance.measured_on = p.String("measured_on");
  lut.provenance.cpi = p.Number("cpi");
  if (!(lut.provenance.cpi > 0 && lut.provenance.cpi < 10)) p.Fail("cpi", "must be in (0, 10)");
  lut.provenance.clock_mhz = p.Number("clock_mhz");
  if (!(lut.provenance.clock_mhz > 0)) p.Fail("clock_mhz", "must be positive");
  lut.provenance.notes = p.String("notes");
  p.RejectUnknownKeys();
  const nlohmann::json& entries = r.Object("entries");
  for (auto it = entries.begin(); it != entries.end(); ++it) {
    core::Result<OpKey> key = ParseOpKey(it.key());
    if (!key.ok()) throw core::JsonError("key 'entries': " + key.error().message);
    core::ObjectReader e(it.value(), "entries." + it.key());
    LutEntry entry;
    entry.instructions = static_cast<uint64_t>(e.Int64("instructions"));
    entry.cycles = e.Number("cycles");
    if (!(entry.cycles >= 0)) e.Fail("cycles", "must be >= 0");
    const double ms = e.Number("ms");  // derived: checked, not stored
    if (std::abs(ms - entry.cycles / (lut.provenance.clock_mhz * 1e3)) > 1e-6 + 1e-6 * ms) {
      e.Fail("ms", "does not equal cycles / clock");
    }
    e.RejectUnknownKeys();
    lut.entries[key.value()] = entry;
  }
  r.RejectUnknownKeys();
  return lut;
}

}  // namespace

core::Result<LatencyLut> ParseLut(const std::string& text, const std::string& source) {
  return core::ParseJsonWith<LatencyLut>(text, source, FromJson);
}

core::Result<LatencyLut> LoadLut(const std::string& path) {
  core::Result<std::string> text = core::ReadTextFile(path);
  if (!text.ok()) return text.error();
  return ParseLut(text.value(), path);
}

std::string LutToJson(const LatencyLut& lut) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = kLutSchemaVersion;
  doc["mcu"] = lut.mcu;
  const Provenance& p = lut.provenance;
  doc["provenance"] = {{"engine_version", p.engine_version}, {"method", p.method},        {"date", p.date},
                       {"core", p.core},                     {"measured_on", p.measured_on}, {"cpi", p.cpi},
                       {"clock_mhz", p.clock_mhz},           {"notes", p.notes}};
  std::vector<std::pair<std::string, LutEntry>> sorted;
  for (const auto& [key, entry] : lut.entries) sorted.emplace_back(key.ToString(), entry);
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  nlohmann::ordered_json entries = nlohmann::ordered_json::object();
  for (const auto& [key, entry] : sorted) {
    entries[key] = {{"instructions", entry.instructions},
                    {"cycles", entry.cycles},
                    {"ms", entry.cycles / (lut.provenance.clock_mhz * 1e3)}};
  }
  doc["entries"] = std::move(entries);
  return doc.dump(1) + "\n";
}

core::Status SaveLut(const LatencyLut& lut, const std::string& path) { return core::WriteFileAtomic(path, LutToJson(lut)); }

}  // namespace kilonas::latency_models
