#include "core/receptive_field.h"

#include <algorithm>

namespace kilonas::core {

int WindowOutputSize(int in_size, int kernel, int stride, int padding) {
  return WindowOutputSize(in_size, kernel, stride, padding, padding);
}

int WindowOutputSize(int in_size, int kernel, int stride, int padding, int padding_end) {
  return (in_size + padding + padding_end - kernel) / stride + 1;
}

Interval InputInterval(Interval out, int kernel, int stride, int padding, int in_size) {
  if (out.size() <= 0) return {0, 0};
  const int first = out.begin * stride - padding;
  const int last = (out.end - 1) * stride - padding + kernel - 1;  // inclusive
  return {std::max(first, 0), std::min(last + 1, in_size)};
}

Interval Hull(Interval a, Interval b) {
  if (a.size() <= 0) return b;
  if (b.size() <= 0) return a;
  return {std::min(a.begin, b.begin), std::max(a.end, b.end)};
}

Region Hull(const Region& a, const Region& b) { return {Hull(a.rows, b.rows), Hull(a.cols, b.cols)}; }

Interval SplitEvenly(int size, int parts, int index) {
  const int64_t begin = static_cast<int64_t>(size) * index / parts;
  const int64_t end = static_cast<int64_t>(size) * (index + 1) / parts;
  return {static_cast<int>(begin), static_cast<int>(end)};
}

}  // namespace kilonas::core
