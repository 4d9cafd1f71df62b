// Fixed-point helpers of the quantizer: real multipliers as (int32 multiplier, shift) and
// asymmetric int8 activation parameters from an observed range.
#pragma once

#include <cstdint>

namespace kilonas::engine {

struct FixedPointMultiplier {
  int32_t multiplier = 0;  // Q31, in [2^30, 2^31) unless zero
  int32_t shift = 0;       // > 0: left, < 0: right
};

// real = multiplier * 2^shift / 2^31, as TFLite's QuantizeMultiplier. real must be >= 0.
FixedPointMultiplier QuantizeMultiplier(double real);

// TFLite's PreprocessSoftmaxScaling: beta x input scale, times 2^26 (capped at 2^31 - 1), as the
// multiplier and left shift (> 0) that take int8 input differences to the Q5.26 the softmax
// kernel's exp reads (kernels_softmax.c: kScaledDiffIntegerBits).
FixedPointMultiplier SoftmaxInputScaling(double beta, double input_scale);

struct ActivationQuant {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// Asymmetric int8 parameters covering [lo, hi] widened to include 0, so that zero padding and
// ReLU bounds are exact.
ActivationQuant ChooseActivationQuant(float lo, float hi);

// The output quantization of an int8 softmax (TFLite requires it): 1/256 per step from -128.
inline constexpr ActivationQuant kSoftmaxOutputQuant{1.0f / 256, -128};

int8_t QuantizeValue(float value, const ActivationQuant& q);
float DequantizeValue(int8_t value, const ActivationQuant& q);

}  // namespace kilonas::engine
