#include "latency_models/board_import.h"

#include <map>
#include <sstream>

namespace kilonas::latency_models {

core::Result<std::vector<OpKey>> ParseKeyList(const std::string& text, const std::string& source) {
  std::vector<OpKey> keys;
  std::istringstream lines(text);
  int line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    if (line.empty()) continue;
    const size_t tab = line.find('\t');
    const std::string where = source + ":" + std::to_string(line_number) + ": ";
    if (tab == std::string::npos || line.substr(0, tab) != std::to_string(keys.size())) {
      return core::Error{where + "expected '" + std::to_string(keys.size()) + "<TAB><op key>'"};
    }
    core::Result<OpKey> key = ParseOpKey(line.substr(tab + 1));
    if (!key.ok()) return core::Error{where + key.error().message};
    keys.push_back(key.value());
  }
  if (keys.empty()) return core::Error{source + ": no keys"};
  return keys;
}

core::Result<ImportSummary> ImportBoardCycles(LatencyLut& lut, const std::vector<OpKey>& keys,
                                              const std::string& log_text, const std::string& log_name,
                                              const std::string& board) {
  std::map<size_t, uint64_t> cycles;  // by key index
  std::istringstream lines(log_text);
  int line_number = 0;
  for (std::string line; std::getline(lines, line);) {
    ++line_number;
    std::istringstream fields(line);
    std::string tag;
    if (!(fields >> tag) || tag != "KILONAS_OP") continue;
    const std::string where = log_name + ":" + std::to_string(line_number) + ": ";
    long long index = -1, count = -1;
    std::string extra;
    if (!(fields >> index >> count) || fields >> extra) return core::Error{where + "bad line '" + line + "'"};
    if (index < 0 || static_cast<size_t>(index) >= keys.size()) {
      return core::Error{where + "index " + std::to_string(index) + " is not in the key list (" +
                         std::to_string(keys.size()) + " keys): was the log made by another profiling run?"};
    }
    if (count <= 0) return core::Error{where + "0 cycles for '" + keys[index].ToString() + "': the DWT did not count"};
    auto [it, inserted] = cycles.emplace(static_cast<size_t>(index), static_cast<uint64_t>(count));
    if (!inserted && it->second != static_cast<uint64_t>(count)) {
      return core::Error{where + "call " + std::to_string(index) + " reported twice with different counts"};
    }
  }
  if (cycles.empty()) return core::Error{log_name + ": no KILONAS_OP lines"};
  ImportSummary summary;
  for (const auto& [index, count] : cycles) {
    auto [it, inserted] = lut.entries.insert_or_assign(keys[index], LutEntry{0, static_cast<double>(count)});
    (void)it;
    ++(inserted ? summary.added : summary.replaced);
  }
  bool all_board = true;
  for (const auto& [key, entry] : lut.entries) all_board = all_board && entry.instructions == 0;
  lut.provenance.method = all_board ? "dwt" : "qemu-icount+dwt";
  lut.provenance.notes += "; " + std::to_string(cycles.size()) + " entries: DWT CYCCNT on " + board + " from " +
                          log_name + " (entries with instructions 0)";
  return summary;
}

}  // namespace kilonas::latency_models
