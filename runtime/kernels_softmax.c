/* TFLite's int8 softmax (the reference kernel TFLite Micro runs for int8 in and out, and CMSIS-NN
 * matches bit for bit), in the fixed-point arithmetic it is defined in: input differences from
 * the row's maximum as Q5.26, exp of them as Q0.31, their sum as Q12.19, and the reciprocal of
 * the sum by Newton-Raphson in Q2.29. Every rounding below is the one that definition takes, so
 * the outputs are those of TFLite Micro. */
#include "kernel_common.h"

enum {
  kScaledDiffIntegerBits = 5,    /* input differences: Q5.26 */
  kAccumulationIntegerBits = 12, /* sum of exps: Q12.19 */
};

/* round(a x b / 2^31), ties away from zero, saturating the one overflow (INT32_MIN squared). */
static int32_t kilonas_high_mul(int32_t a, int32_t b) {
  if (a == INT32_MIN && b == INT32_MIN) return INT32_MAX;
  const int64_t ab = (int64_t)a * b;
  const int64_t nudge = ab >= 0 ? (1ll << 30) : 1 - (1ll << 30);
  return (int32_t)((ab + nudge) / (1ll << 31));
}

/* x / 2^exponent rounded half away from zero (exponent >= 0; beyond 31 every x >= 0 rounds to 0,
 * which the sum of a wide row of near-equal inputs reaches). */
static int32_t kilonas_divide_pot(int32_t x, int32_t exponent) {
  if (exponent > 31) return 0;
  const int32_t mask = (int32_t)((1ull << exponent) - 1u);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* x x 2^exponent (exponent 1..30), saturated to int32. */
static int32_t kilonas_saturating_shift_left(int32_t x, int32_t exponent) {
  const int32_t threshold = (int32_t)((1u << (31 - exponent)) - 1u);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a Q0.31 in [-1/4, 0): Taylor series around -1/8. */
static int32_t kilonas_exp_quarter(int32_t a) {
  const int32_t exp_minus_one_eighth = 1895147668; /* exp(-1/8) in Q0.31 */
  const int32_t one_third = 715827883;             /* 1/3 in Q0.31 */
  const int32_t x = a + (1 << 28);                 /* a + 1/8 */
  const int32_t x2 = kilonas_high_mul(x, x);
  const int32_t x3 = kilonas_high_mul(x2, x);
  const int32_t x4 = kilonas_high_mul(x2, x2);
  const int32_t x4_over_4 = kilonas_divide_pot(x4, 2);
  const int32_t x2_over_2_and_more = kilonas_divide_pot(kilonas_high_mul(x4_over_4 + x3, one_third) + x2, 1);
  return exp_minus_one_eighth + kilonas_high_mul(exp_minus_one_eighth, x + x2_over_2_and_more);
}

/* exp(a) as Q0.31 for a Q5.26 a <= 0: exp of a's residue in [-1/4, 0), times exp(-2^k) for each
 * bit k of the rest (-2 <= k <= 4). */
static int32_t kilonas_exp_negative(int32_t a) {
  static const int32_t kExpOfMinusPowerOfTwo[7] = {
      1672461947, /* exp(-1/4) */
      1302514674, /* exp(-1/2) */
      790015084,  /* exp(-1) */
      290630308,  /* exp(-2) */
      39332535,   /* exp(-4) */
      720401,     /* exp(-8) */
      242,        /* exp(-16) */
  };
  const int32_t fractional_bits = 31 - kScaledDiffIntegerBits;
  const int32_t quarter = 1 << (fractional_bits - 2);
  const int32_t residue = (a & (quarter - 1)) - quarter;
  int32_t result = kilonas_exp_quarter(kilonas_saturating_shift_left(residue, kScaledDiffIntegerBits));
  const int32_t rest = residue - a;
  for (int32_t k = 0; k < 7; ++k) {
    if (rest & (1 << (fractional_bits - 2 + k))) result = kilonas_high_mul(result, kExpOfMinusPowerOfTwo[k]);
  }
  return a == 0 ? INT32_MAX : result;
}

/* 1 / (1 + x) as Q0.31 for a Q0.31 x in [0, 1): Newton-Raphson on the half denominator in Q2.29,
 * started at 48/17 - 32/17 x. */
static int32_t kilonas_one_over_one_plus(int32_t x) {
  const int64_t sum = (int64_t)x + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t one_q29 = 1 << 29;
  int32_t r = 1515870810 + kilonas_high_mul(half_denominator, -1010580540); /* 48/17 - 32/17 d, Q2.29 */
  for (int32_t i = 0; i < 3; ++i) {
    const int32_t error = one_q29 - kilonas_high_mul(half_denominator, r); /* Q2.29 */
    r = r + kilonas_saturating_shift_left(kilonas_high_mul(r, error), 2);  /* Q4.27 -> Q2.29 */
  }
  return kilonas_saturating_shift_left(r, 1); /* r / 2 as Q1.30 -> Q0.31 */
}

/* An input difference from the row's maximum (>= diff_min) as Q5.26, scaled by beta x scale. */
static int32_t kilonas_scaled_diff(const kilonas_pool_params* p, int32_t diff) {
  return kilonas_high_mul((int32_t)((uint32_t)diff << p->shift), p->multiplier);
}

/* TFLite's CalculateInputRadius: differences below -radius give an exp that rounds to zero. */
static int32_t kilonas_softmax_diff_min(int32_t left_shift) {
  const int64_t radius = ((int64_t)((1 << kScaledDiffIntegerBits) - 1) << (31 - kScaledDiffIntegerBits)) >> left_shift;
  return (int32_t)-radius;
}

void kilonas_softmax(const kilonas_pool_params* p, const int8_t* in, int32_t rows, int32_t depth, int8_t* out) {
  const int32_t diff_min = kilonas_softmax_diff_min(p->shift);
  for (int32_t row = 0; row < rows; ++row, in += depth, out += depth) {
    int32_t max = -128;
    for (int32_t c = 0; c < depth; ++c) max = in[c] > max ? in[c] : max;
    int32_t sum = 0; /* Q12.19 */
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      if (diff >= diff_min) {
        sum += kilonas_divide_pot(kilonas_exp_negative(kilonas_scaled_diff(p, diff)), kAccumulationIntegerBits);
      }
    }
    /* The maximum's own exp is 1 (2^19 in Q12.19): the sum is positive. */
    const int32_t headroom = __builtin_clz((uint32_t)sum);
    const int32_t bits_over_unit = kAccumulationIntegerBits - headroom;
    const int32_t scale = kilonas_one_over_one_plus((int32_t)(((uint32_t)sum << headroom) - (1u << 31)));
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max;
      int32_t v = -128;
      if (diff >= diff_min) {
        const int32_t e = kilonas_exp_negative(kilonas_scaled_diff(p, diff));
        v = kilonas_divide_pot(kilonas_high_mul(scale, e), bits_over_unit + 31 - 8) + p->output_offset;
      }
      out[c] = kilonas_clamp8(v, -128, 127);
    }
  }
}
