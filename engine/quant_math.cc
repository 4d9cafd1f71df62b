#include "engine/quant_math.h"

#include <algorithm>
#include <cmath>

namespace kilonas::engine {

double RealOf(const FixedPointMultiplier& m) { return std::ldexp(static_cast<double>(m.multiplier), m.shift - 31); }

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

AddRescaling AddRescalingOf(float input1_scale, float input2_scale, float output_scale) {
  AddRescaling r;
  const double twice_max = 2.0 * std::max(input1_scale, input2_scale);
  r.input1 = QuantizeMultiplier(input1_scale / twice_max);
  r.input2 = QuantizeMultiplier(input2_scale / twice_max);
  r.output = QuantizeMultiplier(twice_max / ((1 << r.left_shift) * static_cast<double>(output_scale)));
  return r;
}

FixedPointMultiplier GlobalPoolMultiplier(float input_scale, float output_scale, int64_t pixels) {
  return QuantizeMultiplier(input_scale / (output_scale * static_cast<double>(pixels)));
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

ActivationClamp ClampOf(core::Activation activation, const ActivationQuant& q) {
  // In float as TFLite Micro, bounded before the conversion: a dead output (every calibration
  // value 0) has a tiny scale, and 6 / scale is far beyond int32.
  const auto quantize = [&](float real) {
    const float steps = std::round(real / q.scale);
    return static_cast<int32_t>(std::clamp<float>(static_cast<float>(q.zero_point) + steps, -129.0f, 128.0f));
  };
  ActivationClamp c;
  if (activation != core::Activation::kNone) c.min = std::max(c.min, quantize(0.0f));
  if (activation == core::Activation::kRelu6) c.max = std::min(c.max, quantize(6.0f));
  return c;
}

int8_t QuantizeValue(float value, const ActivationQuant& q) {
  const double v = std::round(static_cast<double>(value) / q.scale) + q.zero_point;
  return static_cast<int8_t>(std::clamp<double>(v, -128, 127));
}

float DequantizeValue(int8_t value, const ActivationQuant& q) {
  return static_cast<float>(value - q.zero_point) * q.scale;
}

}  // namespace kilonas::engine
