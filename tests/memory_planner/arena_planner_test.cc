#include "memory_planner/arena_planner.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace kilonas::memory_planner {
namespace {

std::vector<BufferRequest> RandomRequests(std::mt19937& rng, int num_ops) {
  std::vector<BufferRequest> requests(std::uniform_int_distribution<int>(1, 60)(rng));
  std::uniform_int_distribution<int> op(0, num_ops - 1);
  std::uniform_int_distribution<int64_t> size(1, 5000);
  for (BufferRequest& r : requests) {
    r.first = op(rng);
    r.last = std::min(num_ops - 1, r.first + std::uniform_int_distribution<int>(0, 8)(rng));
    r.size = size(rng);
    if (r.last > r.first && std::bernoulli_distribution(0.3)(rng)) {
      // Shrinks after some op inside its lifetime, like an in-place stride-2 depthwise.
      const int cut = std::uniform_int_distribution<int>(r.first, r.last - 1)(rng);
      r.segments = {{cut, r.size}, {r.last, std::uniform_int_distribution<int64_t>(1, r.size)(rng)}};
    }
  }
  return requests;
}

TEST(PlanArena, LiveBuffersNeverOverlapOnRandomRequests) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 400; ++trial) {
    const std::vector<BufferRequest> requests = RandomRequests(rng, 30);
    for (ArenaStrategy strategy : {ArenaStrategy::kGreedyBySize, ArenaStrategy::kBestOfOrders}) {
      for (int64_t alignment : {1, 4, 16}) {
        const ArenaLayout layout = PlanArena(requests, alignment, strategy);
        ASSERT_TRUE(CheckNoOverlap(requests, layout.offsets).ok()) << "trial " << trial;
        for (size_t i = 0; i < requests.size(); ++i) {
          EXPECT_EQ(layout.offsets[i] % alignment, 0);
          EXPECT_LE(layout.offsets[i] + requests[i].size, layout.arena_bytes);
        }
        const std::vector<int64_t> live = LiveBytesPerOp(requests, 30);
        EXPECT_GE(layout.arena_bytes, *std::max_element(live.begin(), live.end()));
      }
    }
  }
}

TEST(PlanArena, BestOfOrdersIsNeverWorseThanGreedyBySize) {
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    const std::vector<BufferRequest> requests = RandomRequests(rng, 20);
    EXPECT_LE(PlanArena(requests, 4, ArenaStrategy::kBestOfOrders).arena_bytes,
              PlanArena(requests, 4, ArenaStrategy::kGreedyBySize).arena_bytes);
  }
}

TEST(PlanArena, BuffersWithDisjointLifetimesReuseTheSameBytes) {
  const std::vector<BufferRequest> requests = {{100, 0, 1}, {80, 2, 3}, {60, 4, 4}};
  const ArenaLayout layout = PlanArena(requests, 4);
  EXPECT_EQ(layout.offsets, (std::vector<int64_t>{0, 0, 0}));
  EXPECT_EQ(layout.arena_bytes, 100);
}

TEST(PlanArena, BuffersLiveTogetherAreStackedLargestFirst) {
  const std::vector<BufferRequest> requests = {{40, 0, 2}, {100, 1, 2}, {12, 2, 3}};
  const ArenaLayout layout = PlanArena(requests, 4);
  EXPECT_EQ(layout.offsets[1], 0);
  EXPECT_EQ(layout.offsets[0], 100);
  EXPECT_EQ(layout.offsets[2], 140);
  EXPECT_EQ(layout.arena_bytes, 152);
}

TEST(PlanArena, ShrunkBufferLendsItsFreedTailToLaterBuffers) {
  BufferRequest shrinking{100, 0, 5, {{2, 100}, {5, 25}}};
  const std::vector<BufferRequest> requests = {shrinking, {75, 3, 5}};
  const ArenaLayout layout = PlanArena(requests, 1);
  EXPECT_EQ(layout.offsets[1], 25);
  EXPECT_EQ(layout.arena_bytes, 100);
  EXPECT_EQ(requests[0].SizeAt(2), 100);
  EXPECT_EQ(requests[0].SizeAt(3), 25);
  EXPECT_EQ(requests[0].MaxSizeDuring(3, 9), 25);
}

TEST(CheckNoOverlap, ReportsThePairAndTheOp) {
  const std::vector<BufferRequest> requests = {{10, 0, 3}, {10, 3, 4}};
  const core::Status s = CheckNoOverlap(requests, {0, 5});
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("buffers 0 and 1"), std::string::npos);
  EXPECT_NE(s.message().find("op 3"), std::string::npos);
  EXPECT_TRUE(CheckNoOverlap(requests, {0, 10}).ok());
  EXPECT_TRUE(CheckNoOverlap({{10, 0, 2}, {10, 3, 4}}, {0, 0}).ok());
}

}  // namespace
}  // namespace kilonas::memory_planner
