// Spatial arithmetic shared by the graph builder, the patch planner and the engine:
// output sizes of sliding-window ops and the input window that a block of output rows needs.
#pragma once

#include <cstdint>

namespace kilonas::core {

// Half-open interval [begin, end) of rows or columns.
struct Interval {
  int begin = 0;
  int end = 0;
  int size() const { return end - begin; }
  bool operator==(const Interval& o) const { return begin == o.begin && end == o.end; }
};

struct Region {
  Interval rows;
  Interval cols;
  int64_t Area() const { return static_cast<int64_t>(rows.size()) * cols.size(); }
  bool operator==(const Region& o) const { return rows == o.rows && cols == o.cols; }
};

// Output size of a window with symmetric zero padding: floor((in + 2 pad - k) / s) + 1.
int WindowOutputSize(int in_size, int kernel, int stride, int padding);
// ... and with `padding` before and `padding_end` after: floor((in + pad + pad_end - k) / s) + 1.
int WindowOutputSize(int in_size, int kernel, int stride, int padding, int padding_end);

// Input positions read when computing outputs [out.begin, out.end) of a window op, clamped to
// [0, in_size): positions outside are zero padding and need no storage. O(1).
Interval InputInterval(Interval out, int kernel, int stride, int padding, int in_size);

// Smallest interval containing both.
Interval Hull(Interval a, Interval b);
Region Hull(const Region& a, const Region& b);

// Splits [0, size) into `parts` contiguous pieces whose sizes differ by at most one.
Interval SplitEvenly(int size, int parts, int index);

}  // namespace kilonas::core
