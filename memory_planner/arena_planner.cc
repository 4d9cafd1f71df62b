#include "memory_planner/arena_planner.h"

#include <algorithm>
#include <numeric>
#include <string>

namespace kilonas::memory_planner {
namespace {

int64_t AlignUp(int64_t value, int64_t alignment) { return (value + alignment - 1) / alignment * alignment; }

}  // namespace

int64_t BufferRequest::SizeAt(int op) const {
  if (op < first || op > last) return 0;
  for (const Segment& s : segments) {
    if (op <= s.last_op) return s.size;
  }
  return size;
}

int64_t BufferRequest::MaxSizeDuring(int from, int to) const {
  from = std::max(from, first);
  to = std::min(to, last);
  if (from > to) return 0;
  if (segments.empty()) return size;
  int64_t best = 0;
  int segment_first = first;
  for (const Segment& s : segments) {
    if (s.last_op >= from && segment_first <= to) best = std::max(best, s.size);
    segment_first = s.last_op + 1;
  }
  return best;
}

// First fit of each request, in `order`, below or between the already placed ones.
static ArenaLayout PlaceInOrder(const std::vector<BufferRequest>& requests, const std::vector<size_t>& order,
                                int64_t alignment) {
  const size_t n = requests.size();
  ArenaLayout layout;
  layout.offsets.assign(n, 0);
  std::vector<size_t> placed;
  placed.reserve(n);
  // Offsets forbidden for the request being placed: [lo, hi) open on the left (lo = begin - size).
  std::vector<std::pair<int64_t, int64_t>> forbidden;
  forbidden.reserve(n);
  for (size_t index : order) {
    const BufferRequest& r = requests[index];
    forbidden.clear();
    for (size_t p : placed) {
      const BufferRequest& q = requests[p];
      if (!r.LiveTogether(q)) continue;
      const int from = std::max(r.first, q.first), to = std::min(r.last, q.last);
      const int64_t mine = r.MaxSizeDuring(from, to), theirs = q.MaxSizeDuring(from, to);
      if (mine == 0 || theirs == 0) continue;
      forbidden.emplace_back(layout.offsets[p] - mine, layout.offsets[p] + theirs);
    }
    std::sort(forbidden.begin(), forbidden.end());
    int64_t candidate = 0;
    for (const auto& [lo, hi] : forbidden) {
      if (candidate <= lo) break;
      candidate = std::max(candidate, AlignUp(hi, alignment));
    }
    layout.offsets[index] = candidate;
    layout.arena_bytes = std::max(layout.arena_bytes, candidate + r.size);
    placed.push_back(index);
  }
  return layout;
}

ArenaLayout PlanArena(const std::vector<BufferRequest>& requests, int64_t alignment, ArenaStrategy strategy) {
  std::vector<size_t> order(requests.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].size != requests[b].size) return requests[a].size > requests[b].size;
    return requests[a].first < requests[b].first;
  });
  ArenaLayout best = PlaceInOrder(requests, order, alignment);
  if (strategy == ArenaStrategy::kGreedyBySize) return best;
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    if (requests[a].first != requests[b].first) return requests[a].first < requests[b].first;
    return requests[a].size > requests[b].size;
  });
  ArenaLayout by_first_use = PlaceInOrder(requests, order, alignment);
  return by_first_use.arena_bytes < best.arena_bytes ? by_first_use : best;
}

core::Status CheckNoOverlap(const std::vector<BufferRequest>& requests, const std::vector<int64_t>& offsets) {
  if (offsets.size() != requests.size()) return core::Status::Fail("offset count != request count");
  for (size_t i = 0; i < requests.size(); ++i) {
    if (offsets[i] < 0) return core::Status::Fail("buffer " + std::to_string(i) + " has a negative offset");
    for (size_t j = i + 1; j < requests.size(); ++j) {
      if (!requests[i].LiveTogether(requests[j])) continue;
      const int from = std::max(requests[i].first, requests[j].first);
      const int to = std::min(requests[i].last, requests[j].last);
      for (int op = from; op <= to; ++op) {
        const int64_t a = requests[i].SizeAt(op), b = requests[j].SizeAt(op);
        if (a == 0 || b == 0) continue;
        if (offsets[i] + a > offsets[j] && offsets[j] + b > offsets[i]) {
          return core::Status::Fail("buffers " + std::to_string(i) + " and " + std::to_string(j) +
                                    " overlap while both are live at op " + std::to_string(op));
        }
      }
    }
  }
  return core::Status::Ok();
}

std::vector<int64_t> LiveBytesPerOp(const std::vector<BufferRequest>& requests, int num_ops) {
  std::vector<int64_t> live(num_ops, 0);
  for (const BufferRequest& r : requests) {
    for (int t = std::max(r.first, 0); t <= std::min(r.last, num_ops - 1); ++t) live[t] += r.SizeAt(t);
  }
  return live;
}

}  // namespace kilonas::memory_planner
