// The input patterns of the shared models' README (tests/tflite/data/README.md), element i of the
// input tensor: zeros, ramp, xorshift (in that order).
#pragma once

#include <cstdint>
#include <vector>

namespace kilonas::tflite::testing {

inline std::vector<std::vector<int8_t>> ReadmeInputs(size_t elements) {
  std::vector<int8_t> zeros(elements, 0), ramp(elements), xorshift(elements);
  uint32_t x = 0x2545F491u;
  for (size_t i = 0; i < elements; ++i) {
    ramp[i] = static_cast<int8_t>((i * 37 + 11) & 0xFF);
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    xorshift[i] = static_cast<int8_t>(x >> 24);
  }
  return {zeros, ramp, xorshift};
}

}  // namespace kilonas::tflite::testing
