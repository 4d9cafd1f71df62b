/* Helpers shared by the reference and SMLAD kernels. Internal to the runtime. */
#ifndef KILONAS_KERNEL_COMMON_H_
#define KILONAS_KERNEL_COMMON_H_

#include "kilonas_runtime.h"
#include "kilonas_simd.h"

/* A helper the compiler must inline (its constant arguments select code paths). */
#define KILONAS_ALWAYS_INLINE static inline __attribute__((always_inline))
/* Code run once per call or per group of channels, not per output: compiled for size (flash
 * budgets of 64 kB count every function a model links). */
#define KILONAS_FOR_SIZE __attribute__((optimize("Os")))

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
  const int32_t x = kilonas_requant((int32_t)((uint32_t)(a + p->input1_offset) << p->left_shift), p->input1_multiplier,
                                    p->input1_shift);
  const int32_t y = kilonas_requant((int32_t)((uint32_t)(b + p->input2_offset) << p->left_shift), p->input2_multiplier,
                                    p->input2_shift);
  const int32_t v = kilonas_requant(x + y, p->output_multiplier, p->output_shift) + p->output_offset;
  return kilonas_clamp8(v, p->act_min, p->act_max);
}

/* One output of an optimized kernel from its doubled accumulator and the channel's words
 * {bias, multiplier, shift} (kilonas_conv_params.channels). The general form halves the
 * accumulator (it is even) and takes the reference path. */
static inline int8_t kilonas_finish_doubled(const kilonas_conv_params* p, int32_t acc2, const int32_t* ch) {
  const int32_t v = kilonas_requant(acc2 >> 1, ch[1], ch[2]) + p->output_offset;
  return kilonas_clamp8(v, p->act_min, p->act_max);
}

/* Whether an output with this shift and activation range takes the fast requantization
 * (kilonas_output_fast): a right shift of 1 .. -KILONAS_MIN_FAST_SHIFT (or, for the in-place
 * depthwise kernel's layer test, a shift up to max_shift) and no clamp inside the int8 range.
 * The one rule behind kilonas_fast_requant and the fused add's fast_output. */
static inline int32_t kilonas_takes_fast_output(int32_t shift, int32_t max_shift, int32_t act_min, int32_t act_max) {
  return shift <= max_shift && shift >= KILONAS_MIN_FAST_SHIFT && act_min == -128 && act_max == 127;
}

/* The rounding term and output zero point of a fast-path channel with right shift r >= 1 in one
 * constant: 2^(r - 1) + zp x 2^r = (2 zp + 1) x 2^(r - 1). Adding zp x 2^r before the shift adds
 * exactly zp after it. */
static inline int32_t kilonas_round_zp(int32_t r, int32_t zp) { return (int32_t)((uint32_t)(2 * zp + 1) << (r - 1)); }

/* kilonas_add_one with its constants prepared once per kernel call (kilonas_add_prepare). The
 * inputs' requantization is exact for every valid model: (a + offset) << (left_shift + 1) stays
 * below 2^29, input shifts are <= 0, and a zero shift is a zero mask on the rounding term. The
 * sum is below 2^29 too; its requantization takes the fast form (kilonas_output_fast) when the
 * output shift is a right shift the fast path takes and the activation range is all of int8
 * (`fast_output`), else the reference path. */
typedef struct {
  int32_t offset1, offset2, shift_in;
  int32_t m1, r1, round1, mask1;
  int32_t m2, r2, round2, mask2;
  int32_t mo, ro, round_zp_o, fast_output;
} kilonas_add_fast;

static inline void kilonas_rounding_of(int32_t shift, int32_t* r, int32_t* round, int32_t* mask) {
  *r = shift < 0 ? -shift : 0;
  *round = *r > 0 ? 1 << (*r - 1) : 0;
  *mask = *r > 0 ? -1 : 0;
}

static inline void kilonas_add_prepare(const kilonas_add_params* p, kilonas_add_fast* f) {
  f->offset1 = p->input1_offset;
  f->offset2 = p->input2_offset;
  f->shift_in = p->left_shift + 1;
  f->m1 = p->input1_multiplier;
  kilonas_rounding_of(p->input1_shift, &f->r1, &f->round1, &f->mask1);
  f->m2 = p->input2_multiplier;
  kilonas_rounding_of(p->input2_shift, &f->r2, &f->round2, &f->mask2);
  f->mo = p->output_multiplier;
  f->fast_output = kilonas_takes_fast_output(p->output_shift, -1, p->act_min, p->act_max);
  f->ro = f->fast_output ? -p->output_shift : 0;
  f->round_zp_o = f->fast_output ? kilonas_round_zp(f->ro, p->output_offset) : 0;
}

/* TFLite's requantization of a doubled value x2 = 2 x x for a shift <= 0 (r, round and mask from
 * kilonas_rounding_of): SMMULR(2 x, m) is the doubling high multiply (x m + 2^30) >> 31, and
 * (h + round - (h < 0)) >> r TFLite's rounding divide (ties away from zero), the sign term off
 * (mask 0) when r = 0. */
static inline int32_t kilonas_requant_doubled_any(int32_t x2, int32_t m, int32_t r, int32_t round, int32_t mask) {
  const int32_t h = kilonas_smmulr(x2, m);
  return (h + round + ((h >> 31) & mask)) >> r;
}

/* One output of an optimized kernel on its fast path (fast_requant): kilonas_requant_doubled_any
 * with the rounding term always on, plus the output zero point, saturated to int8, in four
 * instructions: SMMLAR (h + round_zp, h = SMMULR(acc2, m)), the sign term, the shift, SSAT.
 * The sign term is acc2's instead of h's: they differ only when h = 0 > acc2 (m >= 0), and then
 * both give zp, as 0 <= 2^(r-1) - 1 < 2^r. No overflow: |h| <= 2^30 and, with r <= 22
 * (KILONAS_MIN_FAST_SHIFT), |round_zp| < 2^29. */
static inline int8_t kilonas_output_fast(int32_t acc2, int32_t multiplier, int32_t r, int32_t round_zp) {
  return (int8_t)kilonas_ssat8((kilonas_smmlar(acc2, multiplier, round_zp) + (acc2 >> 31)) >> r);
}

/* The sum of the add's two rescaled inputs, before the output's requantization. */
static inline int32_t kilonas_add_sum(const kilonas_add_fast* f, int8_t a, int8_t b) {
  /* Shifted as unsigned: a negative value shifted left is undefined in C (the same instruction). */
  const int32_t x = kilonas_requant_doubled_any((int32_t)((uint32_t)(a + f->offset1) << f->shift_in), f->m1, f->r1,
                                                f->round1, f->mask1);
  const int32_t y = kilonas_requant_doubled_any((int32_t)((uint32_t)(b + f->offset2) << f->shift_in), f->m2, f->r2,
                                                f->round2, f->mask2);
  return x + y;
}

/* kilonas_add_one_fast when the add's output takes the doubled form too (f.fast_output). The
 * constants come by value: int8 stores cannot alias a local, so they are not reloaded after
 * every output. */
KILONAS_ALWAYS_INLINE int8_t kilonas_add_fast_output(const kilonas_add_fast f, int8_t a, int8_t b) {
  return kilonas_output_fast(2 * kilonas_add_sum(&f, a, b), f.mo, f.ro, f.round_zp_o);
}

static inline int8_t kilonas_add_one_fast(const kilonas_add_fast* f, const kilonas_add_params* p, int8_t a, int8_t b) {
  const int32_t sum = kilonas_add_sum(f, a, b);
  if (f->fast_output) return kilonas_output_fast(2 * sum, f->mo, f->ro, f->round_zp_o);
  const int32_t v = kilonas_requant(sum, p->output_multiplier, p->output_shift) + p->output_offset;
  return kilonas_clamp8(v, p->act_min, p->act_max);
}

/* Two int16 values in one word (lo in the low half), as SMLAD reads them. */
static inline uint32_t kilonas_pack_pair(int32_t lo, int32_t hi) {
  return (uint16_t)(int16_t)lo | ((uint32_t)(uint16_t)(int16_t)hi << 16);
}

/* Address of tensor pixel (y, x) in a view. */
static inline int32_t kilonas_pixel(const kilonas_view* v, int32_t y, int32_t x) {
  return ((y - v->y0) * v->w + (x - v->x0)) * v->c;
}

/* The zero-point ring of an in-place depthwise kernel's channel copy (h x w, row pitch
 * w + pad + pad_end): `pad` rows and columns before the copy, `pad_end` after it. */
static inline void kilonas_fill_ring(int8_t* scratch, int32_t h, int32_t w, int32_t pad, int32_t pad_end,
                                     int8_t zero_point) {
  const int32_t sw = w + pad + pad_end, sh = h + pad + pad_end;
  for (int32_t i = 0; i < sw * pad; ++i) scratch[i] = zero_point;
  for (int32_t i = (sh - pad_end) * sw; i < sh * sw; ++i) scratch[i] = zero_point;
  for (int32_t y = pad; y < sh - pad_end; ++y) {
    for (int32_t x = 0; x < pad; ++x) scratch[y * sw + x] = zero_point;
    for (int32_t x = sw - pad_end; x < sw; ++x) scratch[y * sw + x] = zero_point;
  }
}

/* kernels_dsp_depthwise_s2.c, for kilonas_depthwise_inplace_dsp (3x3, stride 2, fast
 * requantization): whether the call's views let outputs be written over the buffer in order
 * without a channel copy, and the outputs of channels ch..ch + 3 (right shifts only) that way. */
#ifdef __cplusplus
extern "C" {
#endif
int32_t kilonas_dw3x3_s2_direct_safe(const kilonas_conv_params* p, const kilonas_view* iv, const kilonas_view* ov,
                                     const kilonas_rect* r);
void kilonas_dw3x3_s2_quad(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv, const kilonas_view* ov,
                           const kilonas_rect* r, int32_t ch);
#ifdef __cplusplus
}
#endif

#endif /* KILONAS_KERNEL_COMMON_H_ */
