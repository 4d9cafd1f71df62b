#include "core/receptive_field.h"

#include <gtest/gtest.h>

namespace kilonas::core {
namespace {

TEST(WindowOutputSize, SamePaddingHalvesWithStrideTwoRoundingUp) {
  EXPECT_EQ(WindowOutputSize(224, 3, 2, 1), 112);
  EXPECT_EQ(WindowOutputSize(7, 3, 2, 1), 4);
  EXPECT_EQ(WindowOutputSize(7, 7, 2, 3), 4);
  EXPECT_EQ(WindowOutputSize(28, 5, 1, 2), 28);
  EXPECT_EQ(WindowOutputSize(10, 1, 1, 0), 10);
}

TEST(InputInterval, InteriorRowsNeedKernelMinusStrideHalo) {
  // 3x3 stride 1 pad 1: outputs 4..8 read inputs 3..8 inclusive.
  EXPECT_EQ(InputInterval({4, 8}, 3, 1, 1, 100), (Interval{3, 9}));
  // 3x3 stride 2 pad 1: outputs 4..8 read 7..15 inclusive.
  EXPECT_EQ(InputInterval({4, 8}, 3, 2, 1, 100), (Interval{7, 16}));
  // 7x7 stride 1 pad 3.
  EXPECT_EQ(InputInterval({10, 12}, 7, 1, 3, 100), (Interval{7, 15}));
}

TEST(InputInterval, ClampsPaddingAtBothBorders) {
  EXPECT_EQ(InputInterval({0, 2}, 3, 1, 1, 10), (Interval{0, 3}));
  EXPECT_EQ(InputInterval({8, 10}, 5, 1, 2, 10), (Interval{6, 10}));
}

TEST(InputInterval, ComposesToTheReceptiveFieldOfAStack) {
  // Two 3x3 stride-1 convs: one output pixel needs a 5x5 input window.
  Interval in = InputInterval(InputInterval({20, 21}, 3, 1, 1, 64), 3, 1, 1, 64);
  EXPECT_EQ(in.size(), 5);
  // Then a 3x3 stride-2 conv below: receptive field 3 + 2 * (5 - 1) = 11.
  EXPECT_EQ(InputInterval(in, 3, 2, 1, 128).size(), 11);
}

TEST(SplitEvenly, PiecesTileTheRangeWithSizesWithinOne) {
  for (int size = 1; size < 40; ++size) {
    for (int parts = 1; parts <= std::min(size, 6); ++parts) {
      int expected_begin = 0;
      for (int i = 0; i < parts; ++i) {
        Interval piece = SplitEvenly(size, parts, i);
        EXPECT_EQ(piece.begin, expected_begin);
        EXPECT_GE(piece.size(), size / parts);
        EXPECT_LE(piece.size(), size / parts + 1);
        expected_begin = piece.end;
      }
      EXPECT_EQ(expected_begin, size);
    }
  }
}

TEST(Hull, EmptyIntervalIsNeutral) {
  EXPECT_EQ(Hull(Interval{}, Interval{3, 5}), (Interval{3, 5}));
  EXPECT_EQ(Hull(Interval{1, 2}, Interval{4, 6}), (Interval{1, 6}));
}

}  // namespace
}  // namespace kilonas::core
