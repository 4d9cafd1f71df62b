// Per-call profiling firmware: one C program that runs every requested kernel call once, with
// the kernel the engine would pick for it (reference or SMLAD, in place, fused add; engine's
// kernel table), on shared pseudo-random weights and activations, and prints per call
//   KILONAS_OP <index> <count>
// where index counts over all batches and count is CMSDK timer ticks under QEMU (x 40 =
// instructions), or DWT cycles when built with -DKILONAS_DWT for a real board (QEMU does not
// model the DWT).
#pragma once

#include <string>
#include <vector>

#include "core/graph.h"
#include "core/kernel_registry.h"
#include "core/status.h"
#include "engine/firmware_build.h"

namespace kilonas::engine {

// One kernel call: the regions it reads and computes (a whole tensor or a patch's). Window ops
// are assumed to pad by kernel / 2 (every space here does); a patch call is placed in a whole
// tensor so that it sees the same total padding as in the network (which side it falls on is
// not kept: the kernels' cost does not depend on it beyond a few instructions).
struct OpCase {
  core::OpKind kind = core::OpKind::kConv2d;
  int kernel = 1, stride = 1;
  core::Shape in, out;
  core::KernelSet kernels = core::KernelSet::kOptimized;
  bool writes_over = false;
  bool wide = false;  // wide (q15) weights: the wide pointwise kernel
};

struct OpBenchmarkSource {
  std::string c_source;     // op_benchmark.c (includes its own main)
  int64_t arena_bytes = 0;  // RAM the largest case needs
};

// Errors for a case no tensor geometry can produce (e.g. a 5x5 output from a 3x3 input).
core::Result<OpBenchmarkSource> GenerateOpBenchmark(const std::vector<OpCase>& cases, size_t first_index = 0);

// Builds and runs the benchmark under QEMU in batches that fit the target's RAM and a few
// minutes of emulation; returns instructions per case (ticks x 40). A case the firmware did not
// report is an error.
core::Result<std::vector<uint64_t>> RunOpBenchmark(const std::vector<OpCase>& cases, const FirmwareTarget& target,
                                                   const std::string& source_root, const std::string& out_dir);

}  // namespace kilonas::engine
