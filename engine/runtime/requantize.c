#include "kernel_common.h"

int32_t kilonas_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  return kilonas_requant(x, multiplier, shift);
}
