#include "engine/quant_math.h"

#include <algorithm>
#include <cmath>

namespace kilonas::engine {

FixedPointMultiplier QuantizeMultiplier(double real) {
  if (real <= 0.0) return {0, 0};
  int exponent = 0;
  const double fraction = std::frexp(real, &exponent);  // real = fraction * 2^exponent, [0.5, 1)
  int64_t q = static_cast<int64_t>(std::llround(fraction * (1ll << 31)));
  if (q == (1ll << 31)) {
    q /= 2;
    ++exponent;
  }
  if (exponent < -31) return {0, 0};  // too small to represent: the product rounds to zero
  if (exponent > 30) return {INT32_MAX, 30};
  return {static_cast<int32_t>(q), exponent};
}

FixedPointMultiplier SoftmaxInputScaling(double beta, double input_scale) {
  constexpr int kScaledDiffIntegerBits = 5;
  const double max_real = static_cast<double>(INT32_MAX);
  return QuantizeMultiplier(std::min(beta * input_scale * std::ldexp(1.0, 31 - kScaledDiffIntegerBits), max_real));
}

ActivationQuant ChooseActivationQuant(float lo, float hi) {
  lo = std::min(lo, 0.0f);
  hi = std::max(hi, 0.0f);
  if (hi - lo < 1e-8f) hi = lo + 1e-8f;
  ActivationQuant q;
  q.scale = (hi - lo) / 255.0f;
  const double zero_point = -128.0 - static_cast<double>(lo) / q.scale;
  q.zero_point = static_cast<int32_t>(std::clamp<double>(std::round(zero_point), -128, 127));
  return q;
}

int8_t QuantizeValue(float value, const ActivationQuant& q) {
  const double v = std::round(static_cast<double>(value) / q.scale) + q.zero_point;
  return static_cast<int8_t>(std::clamp<double>(v, -128, 127));
}

float DequantizeValue(int8_t value, const ActivationQuant& q) {
  return static_cast<float>(value - q.zero_point) * q.scale;
}

}  // namespace kilonas::engine
