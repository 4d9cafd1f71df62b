// Per-op profiling firmware: one C program that runs every requested op once with the kernels
// the engine uses in the inplace plan (SMLAD conv/pointwise, in-place depthwise, plain add,
// pool, FC) on shared pseudo-random weights and activations, and prints per op
//   KILONAS_OP <index> <count>
// where count is CMSDK timer ticks under QEMU (x 40 = instructions), or DWT cycles when built
// with -DKILONAS_DWT for a real board (QEMU does not model the DWT).
#pragma once

#include <string>
#include <vector>

#include "core/graph.h"
#include "core/status.h"
#include "engine/firmware_build.h"

namespace kilonas::engine {

struct OpCase {
  core::OpKind kind = core::OpKind::kConv2d;
  int kernel = 1, stride = 1;
  core::Shape in, out;
};

struct OpBenchmarkSource {
  std::string c_source;     // op_benchmark.c (includes its own main)
  int64_t arena_bytes = 0;  // RAM the largest case needs
};

OpBenchmarkSource GenerateOpBenchmark(const std::vector<OpCase>& cases);

// Builds and runs the benchmark under QEMU in batches that fit the target's RAM and a few
// minutes of emulation; returns instructions per case (ticks x 40).
core::Result<std::vector<uint64_t>> RunOpBenchmark(const std::vector<OpCase>& cases, const FirmwareTarget& target,
                                                   const std::string& source_root, const std::string& out_dir);

}  // namespace kilonas::engine
