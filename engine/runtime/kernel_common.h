/* Helpers shared by the reference and SMLAD kernels. Internal to the runtime. */
#ifndef KILONAS_KERNEL_COMMON_H_
#define KILONAS_KERNEL_COMMON_H_

#include "kilonas_runtime.h"

/* kilonas_requantize, inlined into the kernels. The doubling high multiply with TFLite's nudge
 * and truncating division equals (x * m + 2^30) >> 31 with an arithmetic shift (both round
 * ties toward +infinity), which costs a multiply-long, an add and a shift. Multipliers are
 * non-negative (the model loader checks), so the saturating case INT32_MIN^2 cannot occur. */
static inline int32_t kilonas_requant(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int64_t product = (int64_t)(int32_t)((uint32_t)x << left) * multiplier;
  const int32_t high = (int32_t)((product + (1ll << 30)) >> 31);
  const int32_t mask = (int32_t)((1u << right) - 1u);
  const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

static inline int8_t kilonas_clamp8(int32_t v, int32_t lo, int32_t hi) {
  return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* Accumulator of output channel `oc` -> int8 output. */
static inline int8_t kilonas_finish(const kilonas_conv_params* p, int32_t acc, int32_t oc) {
  const int32_t v = kilonas_requant(acc, p->multiplier[oc], p->shift[oc]) + p->output_offset;
  return kilonas_clamp8(v, p->act_min, p->act_max);
}

/* One element of kilonas_add. */
static inline int8_t kilonas_add_one(const kilonas_add_params* p, int8_t a, int8_t b) {
  const int32_t x = kilonas_requant((int32_t)((uint32_t)(a + p->input1_offset) << p->left_shift),
                                       p->input1_multiplier, p->input1_shift);
  const int32_t y = kilonas_requant((int32_t)((uint32_t)(b + p->input2_offset) << p->left_shift),
                                       p->input2_multiplier, p->input2_shift);
  const int32_t v = kilonas_requant(x + y, p->output_multiplier, p->output_shift) + p->output_offset;
  return kilonas_clamp8(v, p->act_min, p->act_max);
}

/* Address of tensor pixel (y, x) in a view. */
static inline int32_t kilonas_pixel(const kilonas_view* v, int32_t y, int32_t x) {
  return ((y - v->y0) * v->w + (x - v->x0)) * v->c;
}

#endif /* KILONAS_KERNEL_COMMON_H_ */
