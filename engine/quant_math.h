// Fixed-point helpers of the quantizer: real multipliers as (int32 multiplier, shift) and
// asymmetric int8 activation parameters from an observed range.
#pragma once

#include <cstdint>

#include "core/op_kind.h"

namespace kilonas::engine {

struct FixedPointMultiplier {
  int32_t multiplier = 0;  // Q31, in [2^30, 2^31) unless zero
  int32_t shift = 0;       // > 0: left, < 0: right
};

// real = multiplier * 2^shift / 2^31, as TFLite's QuantizeMultiplier. real must be >= 0.
FixedPointMultiplier QuantizeMultiplier(double real);
// The real number a (multiplier, shift) stands for: multiplier x 2^(shift - 31).
double RealOf(const FixedPointMultiplier& m);

// A scale as a .tflite stores it (float32), back in double: what TFLite Micro computes its
// multipliers from.
inline double TfliteScale(double scale) { return static_cast<double>(static_cast<float>(scale)); }

// TFLite's PreprocessSoftmaxScaling: beta x input scale, times 2^26 (capped at 2^31 - 1), as the
// multiplier and left shift (> 0) that take int8 input differences to the Q5.26 the softmax
// kernel's exp reads (kernels_softmax.c: kScaledDiffIntegerBits).
FixedPointMultiplier SoftmaxInputScaling(double beta, double input_scale);

// TFLite's int8 ADD: both inputs left-shifted by 20 and rescaled to twice the larger input
// scale, the sum rescaled to the output (PrepareGeneralSubOp's arithmetic on the float scales).
struct AddRescaling {
  int32_t left_shift = 20;
  FixedPointMultiplier input1, input2, output;
};
AddRescaling AddRescalingOf(float input1_scale, float input2_scale, float output_scale);

// The global average pool's requantization: the channel's sum of (x - zero point) over `pixels`
// to the output scale.
FixedPointMultiplier GlobalPoolMultiplier(float input_scale, float output_scale, int64_t pixels);

struct ActivationQuant {
  float scale = 1.0f;
  int32_t zero_point = 0;
};

// Asymmetric int8 parameters covering [lo, hi] widened to include 0, so that zero padding and
// ReLU bounds are exact.
ActivationQuant ChooseActivationQuant(float lo, float hi);

// The output quantization of an int8 softmax (TFLite requires it): 1/256 per step from -128.
inline constexpr ActivationQuant kSoftmaxOutputQuant{1.0f / 256, -128};

// The int8 range a fused activation (none, ReLU, ReLU6) clamps an output of `q` to, as TFLite
// Micro's CalculateActivationRangeQuantized computes it: each bound quantized in float, rounded.
struct ActivationClamp {
  int32_t min = -128, max = 127;
};
ActivationClamp ClampOf(core::Activation activation, const ActivationQuant& q);

int8_t QuantizeValue(float value, const ActivationQuant& q);
float DequantizeValue(int8_t value, const ActivationQuant& q);

}  // namespace kilonas::engine
