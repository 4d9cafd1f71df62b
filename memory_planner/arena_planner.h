// Arena planning: place buffers with known sizes and op-index lifetimes in one arena so that no
// two buffers alive at the same op overlap.
#pragma once

#include <cstdint>
#include <vector>

#include "core/status.h"

namespace kilonas::memory_planner {

// A buffer alive from op `first` to op `last`, inclusive. Its size may shrink or grow over time
// (a stride-2 depthwise run in place leaves a smaller output in its input's buffer): `segments`
// then lists (last op, bytes) pieces covering [first, last] in order; empty means `size` all along.
struct BufferRequest {
  struct Segment {
    int last_op = 0;
    int64_t size = 0;
  };
  int64_t size = 0;  // the largest size over the lifetime
  int first = 0;
  int last = 0;
  std::vector<Segment> segments;

  bool LiveTogether(const BufferRequest& o) const { return first <= o.last && o.first <= last; }
  int64_t SizeAt(int op) const;                   // 0 outside the lifetime
  int64_t MaxSizeDuring(int from, int to) const;  // largest size at ops [from, to]
};

struct ArenaLayout {
  std::vector<int64_t> offsets;  // one per request
  int64_t arena_bytes = 0;       // highest end offset
};

enum class ArenaStrategy {
  kGreedyBySize,  // TFLite Micro's order only
  kBestOfOrders,  // greedy by size and greedy by first use; the smaller arena wins
};

// TFLite Micro's greedy planner: requests sorted by size (largest first, ties by first use), each
// placed at the lowest `alignment`-aligned offset where it overlaps none of the buffers already
// placed during their common lifetime (using each one's largest size in that window).
// kBestOfOrders also places them in order of first use, which fragments less on some networks.
// O(n^2 log n) for n requests.
ArenaLayout PlanArena(const std::vector<BufferRequest>& requests, int64_t alignment,
                      ArenaStrategy strategy = ArenaStrategy::kGreedyBySize);

// The invariant, checked op by op with exact sizes: buffers live at the same op never share a
// byte. The error names the pair and the op.
core::Status CheckNoOverlap(const std::vector<BufferRequest>& requests, const std::vector<int64_t>& offsets);

// Sum of the sizes of the requests live at each op (a lower bound on any arena).
std::vector<int64_t> LiveBytesPerOp(const std::vector<BufferRequest>& requests, int num_ops);

}  // namespace kilonas::memory_planner
