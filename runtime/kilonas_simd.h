/* The DSP-extension operations the SMLAD kernels use. On Cortex-M4/M7 they are the
 * ACLE intrinsics (single instructions); elsewhere a portable emulation with the same results,
 * so the optimized kernels are also built and tested on the host. Internal to the runtime. */
#ifndef KILONAS_SIMD_H_
#define KILONAS_SIMD_H_

#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && __ARM_FEATURE_DSP
#include <arm_acle.h>
#define KILONAS_SIMD_NATIVE 1
static inline uint32_t kilonas_sxtb16(uint32_t x) { return (uint32_t)__sxtb16((int32_t)x); }
static inline int32_t kilonas_smlad(uint32_t a, uint32_t b, int32_t acc) {
  return __smlad((int32_t)a, (int32_t)b, acc);
}
static inline uint32_t kilonas_sadd16(uint32_t a, uint32_t b) { return (uint32_t)__sadd16((int32_t)a, (int32_t)b); }
static inline uint32_t kilonas_ssub16(uint32_t a, uint32_t b) { return (uint32_t)__ssub16((int32_t)a, (int32_t)b); }
static inline int32_t kilonas_ssat8(int32_t x) { return __ssat(x, 8); }
static inline int32_t kilonas_smmulr(int32_t a, int32_t b) {
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline int32_t kilonas_smmlar(int32_t a, int32_t b, int32_t acc) {
  int32_t r;
  __asm__("smmlar %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
static inline int32_t kilonas_smlabb(uint32_t a, uint32_t b, int32_t acc) {
  return __smlabb((int32_t)a, (int32_t)b, acc);
}
static inline int32_t kilonas_smlatb(uint32_t a, uint32_t b, int32_t acc) {
  return __smlatb((int32_t)a, (int32_t)b, acc);
}
static inline int32_t kilonas_smlatt(uint32_t a, uint32_t b, int32_t acc) {
  return __smlatt((int32_t)a, (int32_t)b, acc);
}
/* (low: a's low half, high: b's low half) and (low: b's high half, high: a's high half). */
static inline uint32_t kilonas_pkhbt16(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
static inline uint32_t kilonas_pkhtb16(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#else
#define KILONAS_SIMD_NATIVE 0
/* Sign-extends bytes 0 and 2 into the low and high halfwords. */
static inline uint32_t kilonas_sxtb16(uint32_t x) {
  const uint32_t lo = (uint16_t)(int16_t)(int8_t)(x & 0xFFu);
  const uint32_t hi = (uint16_t)(int16_t)(int8_t)((x >> 16) & 0xFFu);
  return lo | (hi << 16);
}
/* acc + a.lo * b.lo + a.hi * b.hi (signed halfwords), wrapping like the instruction. */
static inline int32_t kilonas_smlad(uint32_t a, uint32_t b, int32_t acc) {
  const int32_t p0 = (int32_t)(int16_t)(a & 0xFFFFu) * (int32_t)(int16_t)(b & 0xFFFFu);
  const int32_t p1 = (int32_t)(int16_t)(a >> 16) * (int32_t)(int16_t)(b >> 16);
  return (int32_t)((uint32_t)acc + (uint32_t)p0 + (uint32_t)p1);
}
/* Lane-wise 16-bit add, wrapping. */
static inline uint32_t kilonas_sadd16(uint32_t a, uint32_t b) {
  const uint32_t lo = (a + b) & 0xFFFFu;
  const uint32_t hi = ((a >> 16) + (b >> 16)) & 0xFFFFu;
  return lo | (hi << 16);
}
/* Lane-wise 16-bit subtract, wrapping. */
static inline uint32_t kilonas_ssub16(uint32_t a, uint32_t b) {
  const uint32_t lo = (a - b) & 0xFFFFu;
  const uint32_t hi = ((a >> 16) - (b >> 16)) & 0xFFFFu;
  return lo | (hi << 16);
}
static inline int32_t kilonas_ssat8(int32_t x) { return x < -128 ? -128 : (x > 127 ? 127 : x); }
/* High word of a * b, rounded: (a * b + 2^31) >> 32. */
static inline int32_t kilonas_smmulr(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b + (1ll << 31)) >> 32); }
/* acc + the rounded high word of a * b (SMMLAR adds acc x 2^32 before rounding, which cannot
 * change the rounding), wrapping. */
static inline int32_t kilonas_smmlar(int32_t a, int32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)kilonas_smmulr(a, b));
}
static inline int32_t kilonas_half_lo(uint32_t x) { return (int16_t)(x & 0xFFFFu); }
static inline int32_t kilonas_half_hi(uint32_t x) { return (int16_t)(x >> 16); }
/* acc + a.x * b.y of the signed halfwords (x, y: b bottom, t top), wrapping. */
static inline int32_t kilonas_smlabb(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(kilonas_half_lo(a) * kilonas_half_lo(b)));
}
static inline int32_t kilonas_smlatb(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(kilonas_half_hi(a) * kilonas_half_lo(b)));
}
static inline int32_t kilonas_smlatt(uint32_t a, uint32_t b, int32_t acc) {
  return (int32_t)((uint32_t)acc + (uint32_t)(kilonas_half_hi(a) * kilonas_half_hi(b)));
}
/* (low: a's low half, high: b's low half) and (low: b's high half, high: a's high half). */
static inline uint32_t kilonas_pkhbt16(uint32_t a, uint32_t b) { return (a & 0xFFFFu) | (b << 16); }
static inline uint32_t kilonas_pkhtb16(uint32_t a, uint32_t b) { return (a & 0xFFFF0000u) | (b >> 16); }
#endif

static inline uint32_t kilonas_ror8(uint32_t x) { return (x >> 8) | (x << 24); }

/* Sign-extends bytes 1 and 3: one SXTB16 with its ROR #8 operand on ARM (GCC does not fuse the
 * rotate into the intrinsic by itself). */
static inline uint32_t kilonas_sxtb16_ror8(uint32_t x) {
#if KILONAS_SIMD_NATIVE
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(x));
  return r;
#else
  return kilonas_sxtb16(kilonas_ror8(x));
#endif
}

/* Unaligned 32-bit load (one LDR on Cortex-M4/M7). */
static inline uint32_t kilonas_load32(const void* p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

#endif /* KILONAS_SIMD_H_ */
