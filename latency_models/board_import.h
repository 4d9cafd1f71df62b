// Board timing import: the profiling firmware built with -DKILONAS_DWT runs on a real board and
// prints `KILONAS_OP <index> <cycles>` per kernel call, index into the keys.txt written by the
// profiling run (one global list over all batches). The cycles replace those entries of the
// existing LUT; the rest keep their QEMU figures.
#pragma once

#include <string>
#include <vector>

#include "latency_models/lut.h"

namespace kilonas::latency_models {

// keys.txt: one "<index>\t<op key>" line per call, indices 0, 1, 2, ... in order.
core::Result<std::vector<OpKey>> ParseKeyList(const std::string& text, const std::string& source);

struct ImportSummary {
  int replaced = 0;  // entries whose cycles now come from the board
  int added = 0;     // keys the LUT did not have
};

// Errors (nothing changed) for a line with an index outside `keys`, a count of 0 cycles, a key
// reported twice with different counts, or a log without KILONAS_OP lines; they name the log's
// line. Other lines (boot messages) are skipped. Provenance: method "dwt" when every entry is
// a board figure, else "qemu-icount+dwt"; `board` and the log named in the notes.
core::Result<ImportSummary> ImportBoardCycles(LatencyLut& lut, const std::vector<OpKey>& keys,
                                              const std::string& log_text, const std::string& log_name,
                                              const std::string& board);

}  // namespace kilonas::latency_models
