#include <algorithm>
#include <cmath>

#include "core/json_util.h"
#include "latency_models/lut.h"

namespace kilonas::latency_models {
namespace {

// 2: keys name the kernel call (regions read and computed, ref / in_place / fused_add tokens).
constexpr int kLutSchemaVersion = 2;

LatencyLut FromJson(const nlohmann::json& doc) {
  core::ObjectReader r(doc, "");
  r.RequireSchemaVersion(kLutSchemaVersion);
  LatencyLut lut;
  lut.mcu = r.String("mcu");
  core::ObjectReader p(r.Object("provenance"), "provenance");
  lut.provenance.engine_version = p.String("engine_version");
  lut.provenance.method = p.String("method");
  if (lut.provenance.method != "qemu-icount" && lut.provenance.method != "dwt" &&
      lut.provenance.method != "qemu-icount+dwt") {
    p.Fail("method", "must be qemu-icount, dwt or qemu-icount+dwt");
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
    // Instructions 0 marks an entry a board measured (nas_profile import): DWT cycles, no QEMU count.
    const int64_t instructions = e.Int64("instructions");
    const bool from_board = instructions == 0 && lut.provenance.method != "qemu-icount";
    if (instructions < 0 || (instructions == 0 && !from_board)) {
      e.Fail("instructions",
             "must be positive (every kernel call executes instructions; 0 only marks a board's "
             "count in a dwt LUT)");
    }
    entry.instructions = static_cast<uint64_t>(instructions);
    entry.cycles = e.Number("cycles");
    if (!(entry.cycles > 0)) e.Fail("cycles", "must be positive (no kernel call takes 0 cycles)");
    // Cycles are instructions x cpi where QEMU counted them; a board's DWT count differs from that
    // by its pipeline's stalls and dual issue, never by a factor of 8 (a hand-edited entry does).
    const double expected = static_cast<double>(instructions) * lut.provenance.cpi;
    if (lut.provenance.method == "qemu-icount" && std::abs(entry.cycles - expected) > 1e-6 * expected + 1e-6) {
      e.Fail("cycles", "does not equal instructions x cpi, as a qemu-icount LUT's cycles must");
    }
    if (!from_board && (entry.cycles < expected / 8 || entry.cycles > expected * 8)) {
      e.Fail("cycles", "is more than 8 times off instructions x cpi: not a measurement of this call");
    }
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
  if (path.empty()) return core::Error{"latency LUT: empty path"};
  core::Result<LatencyLut> lut = core::LoadFileWith(path, ParseLut);
  if (!lut.ok() && lut.error().message.find("schema_version") != std::string::npos) {
    return core::Error{lut.error().message +
                       " (LUTs of schema 1 keyed ops, not kernel calls: rebuild it with nas_profile)"};
  }
  return lut;
}

core::Status CheckLutMatches(const LatencyLut& lut, const core::HwProfile& hw, const std::string& path) {
  auto fail = [&](const std::string& what) {
    return core::Status::Fail(path + ": " + what + " (build this MCU's LUT with nas_profile --hw <profile>)");
  };
  if (lut.entries.empty())
    return fail("no entries: every kernel call would cost 0 ms and no latency budget would bind");
  if (lut.mcu != hw.name) return fail("measured for mcu '" + lut.mcu + "', the profile is '" + hw.name + "'");
  if (lut.provenance.core != hw.core) {
    return fail("provenance core '" + lut.provenance.core + "' is not the profile's '" + hw.core + "'");
  }
  if (std::abs(lut.provenance.clock_mhz - hw.clock_mhz) > 1e-9 * hw.clock_mhz) {
    return fail("provenance clock " + std::to_string(lut.provenance.clock_mhz) + " MHz is not the profile's " +
                std::to_string(hw.clock_mhz) + " MHz");
  }
  if (lut.provenance.method != "dwt" && std::abs(lut.provenance.cpi - hw.cpi) > 1e-9) {
    return fail("provenance cpi " + std::to_string(lut.provenance.cpi) + " is not the profile's " +
                std::to_string(hw.cpi));
  }
  return core::Status::Ok();
}

core::Result<LatencyLut> LoadLutFor(const core::HwProfile& hw, const std::string& path) {
  const std::string file = path.empty() ? hw.latency_lut : path;
  core::Result<LatencyLut> lut = LoadLut(file);
  if (!lut.ok()) {
    return core::Error{(path.empty() ? "profile '" + hw.name + "' key 'latency_lut': " : "--lut: ") +
                       lut.error().message};
  }
  if (core::Status s = CheckLutMatches(lut.value(), hw, file); !s.ok()) return core::Error{s.message()};
  return lut;
}

std::string LutToJson(const LatencyLut& lut) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = kLutSchemaVersion;
  doc["mcu"] = lut.mcu;
  const Provenance& p = lut.provenance;
  doc["provenance"] = {
      {"engine_version", p.engine_version}, {"method", p.method}, {"date", p.date},           {"core", p.core},
      {"measured_on", p.measured_on},       {"cpi", p.cpi},       {"clock_mhz", p.clock_mhz}, {"notes", p.notes}};
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

core::Status SaveLut(const LatencyLut& lut, const std::string& path) {
  return core::WriteFileAtomic(path, LutToJson(lut));
}

}  // namespace kilonas::latency_models
