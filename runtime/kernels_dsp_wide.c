/* Pointwise conv with wide (q15) weights: the exporter stores every weight doubled and
 * sign-extended to 16 bits in the order the SMLAD loop reads them
 * (kilonas_pointwise_wide_constants), twice the flash of int8 weights, so the loop has no SXTB16
 * at all and the inputs are widened without doubling (the accumulators are doubled as in
 * kernels_dsp.c all the same). It computes 2 output channels x 2 pixels per pass: per group of
 * 4 inputs two double-word weight loads, two double-word column loads and 8 SMLAD for 16 MACs
 * (the int8 kernel of kernels_dsp.c: 15 instructions).
 *
 * Layouts, with G = ceil(Cin / 4) groups (the last one zero-padded):
 *   weights (2 w), per pair of channels c, c + 1 and group g: [c: (w0, w2), (w1, w3)]
 *     [c + 1: same], 16 bytes; an odd last channel alone, 8 bytes per group;
 *   channel records {multiplier, r = -shift, round_zp (fast layers, else 0), doubled bias};
 *   columns (2 pixels, raw inputs: the input offset is in the bias), per group [pixel 0:
 *     (x0, x2), (x1, x3)] [pixel 1: same]: 16 bytes, 8 x G bytes per pixel of scratch. */
#include "kernel_common.h"

/* Pixels per block, and the column words of one group. */
enum { kWidePixels = 2, kGroupWords = 2 * kWidePixels };

/* Two pixels' inputs (src0, src1: n int8 values each) as the block's columns, both in one pass:
 * per group one word of each pixel and two SXTB16 each (the weights carry the doubling). */
static void WidenPair(const int8_t* src0, const int8_t* src1, uint32_t* columns, int32_t n) {
  const int32_t groups = n / 4, rest = n % 4;
  uint32_t* dst = columns;
  for (int32_t g = 0; g < groups; ++g, src0 += 4, src1 += 4, dst += kGroupWords) {
    const uint32_t a = kilonas_load32(src0), b = kilonas_load32(src1);
    dst[0] = kilonas_sxtb16(a);
    dst[1] = kilonas_sxtb16_ror8(a);
    dst[2] = kilonas_sxtb16(b);
    dst[3] = kilonas_sxtb16_ror8(b);
  }
  if (rest > 0) {
    int32_t a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};
    for (int32_t i = 0; i < rest; ++i) {
      a[i] = src0[i];
      b[i] = src1[i];
    }
    dst[0] = kilonas_pack_pair(a[0], a[2]);
    dst[1] = kilonas_pack_pair(a[1], a[3]);
    dst[2] = kilonas_pack_pair(b[0], b[2]);
    dst[3] = kilonas_pack_pair(b[1], b[3]);
  }
}

/* acc[r][px] += row r . pixel px for the `rows` (1 or 2) channels whose weights start at w. */
static void WideCore(const uint32_t* w, const uint32_t* col, int32_t groups, int32_t rows, int32_t acc[2][2]) {
#if KILONAS_SIMD_NATIVE
  if (rows == 2) { /* the assembly's group, for the paths it does not take (fused add, general) */
    const uint32_t* const end = col + groups * kGroupWords;
    int32_t a00 = acc[0][0], a01 = acc[0][1], a10 = acc[1][0], a11 = acc[1][1];
    uint32_t w0, w1, w2, w3, c0, c1;
    __asm__ volatile(
        "1:\n\t"
        "ldrd %[w0], %[w1], [%[w]], #8\n\t"
        "ldrd %[w2], %[w3], [%[w]], #8\n\t"
        "ldrd %[c0], %[c1], [%[col]], #8\n\t"
        "smlad %[a00], %[w0], %[c0], %[a00]\n\t"
        "smlad %[a00], %[w1], %[c1], %[a00]\n\t"
        "smlad %[a10], %[w2], %[c0], %[a10]\n\t"
        "smlad %[a10], %[w3], %[c1], %[a10]\n\t"
        "ldrd %[c0], %[c1], [%[col]], #8\n\t"
        "smlad %[a01], %[w0], %[c0], %[a01]\n\t"
        "smlad %[a01], %[w1], %[c1], %[a01]\n\t"
        "smlad %[a11], %[w2], %[c0], %[a11]\n\t"
        "smlad %[a11], %[w3], %[c1], %[a11]\n\t"
        "cmp %[col], %[end]\n\t"
        "bne 1b\n\t"
        : [a00] "+r"(a00), [a01] "+r"(a01), [a10] "+r"(a10), [a11] "+r"(a11), [w] "+r"(w), [col] "+r"(col),
          [w0] "=&r"(w0), [w1] "=&r"(w1), [w2] "=&r"(w2), [w3] "=&r"(w3), [c0] "=&r"(c0), [c1] "=&r"(c1)
        : [end] "r"(end)
        : "cc", "memory");
    acc[0][0] = a00;
    acc[0][1] = a01;
    acc[1][0] = a10;
    acc[1][1] = a11;
    return;
  }
#endif
  for (int32_t g = 0; g < groups; ++g, w += 2 * rows, col += kGroupWords) {
    for (int32_t r = 0; r < rows; ++r) {
      for (int32_t px = 0; px < kWidePixels; ++px) {
        acc[r][px] = kilonas_smlad(w[2 * r + 1], col[2 * px + 1], kilonas_smlad(w[2 * r], col[2 * px], acc[r][px]));
      }
    }
  }
}

/* One output from a doubled accumulator and its channel record. */
static inline int8_t WideOutput(const kilonas_conv_params* p, int32_t acc2, const int32_t* rec) {
  if (p->fast_requant) return kilonas_output_fast(acc2, rec[0], rec[1], rec[2]);
  const int32_t v = kilonas_requant(acc2 >> 1, rec[0], -rec[1]) + p->output_offset;
  return kilonas_clamp8(v, p->act_min, p->act_max);
}

/* The channels [first, cout) of a block of two pixels, in C. `fast_add` (a constant in each
 * instantiation): a fast layer whose fused add's output is fast too, its constants by value. */
KILONAS_ALWAYS_INLINE void WideChannelsOf(const kilonas_conv_params* p, const kilonas_add_params* add,
                                          const kilonas_add_fast* f, const uint32_t* columns, int32_t groups,
                                          int32_t first, int32_t cout, int8_t* o0, int8_t* o1, const int fast_add) {
  const uint32_t* w = (const uint32_t*)p->weights + (int32_t)(first * 2 * groups);
  int8_t* const out[kWidePixels] = {o0, o1};
  kilonas_add_fast fv = {0};
  if (fast_add) fv = *f;
  for (int32_t c = first; c < cout; c += 2) {
    const int32_t rows = c + 1 < cout ? 2 : 1;
    int32_t acc[2][2];
    for (int32_t r = 0; r < rows; ++r) {
      acc[r][0] = acc[r][1] = p->channels[(c + r) * KILONAS_WIDE_RECORD + 3];
    }
    WideCore(w, columns, groups, rows, acc);
    w += 2 * rows * groups;
    for (int32_t r = 0; r < rows; ++r) {
      const int32_t* const rec = p->channels + (c + r) * KILONAS_WIDE_RECORD;
      int8_t y[kWidePixels];
      for (int32_t px = 0; px < kWidePixels; ++px) { /* both residuals read before a write */
        if (fast_add) {
          y[px] = kilonas_add_fast_output(fv, out[px][c + r], kilonas_output_fast(acc[r][px], rec[0], rec[1], rec[2]));
        } else {
          y[px] = WideOutput(p, acc[r][px], rec);
          if (add) y[px] = kilonas_add_one_fast(f, add, out[px][c + r], y[px]);
        }
      }
      for (int32_t px = 0; px < kWidePixels; ++px) out[px][c + r] = y[px];
    }
  }
}

static void WideChannels(const kilonas_conv_params* p, const kilonas_add_params* add, const kilonas_add_fast* f,
                         const uint32_t* columns, int32_t groups, int32_t first, int32_t cout, int8_t* o0, int8_t* o1) {
  WideChannelsOf(p, add, f, columns, groups, first, cout, o0, o1, 0);
}

static void WideChannelsFastAdd(const kilonas_conv_params* p, const kilonas_add_params* add, const kilonas_add_fast* f,
                                const uint32_t* columns, int32_t groups, int32_t cout, int8_t* o0, int8_t* o1) {
  WideChannelsOf(p, add, f, columns, groups, 0, cout, o0, o1, 1);
}

#if KILONAS_SIMD_NATIVE
/* kernels_dsp_arm.S: WideChannels for the whole pairs of channels of a fast layer without an
 * add, every operand in a register. */
typedef struct {
  int8_t *o0, *o1;
  const int32_t* channels;
  const int32_t* channels_end;
  const uint32_t* columns;
  uint32_t entry; /* set by the assembly: where the unrolled group loop is entered */
} WideBlock;
void kilonas_pointwise_wide_pairs(const uint32_t* weights, const uint32_t* columns, const uint32_t* columns_end,
                                  WideBlock* block);
#endif

static void WideBlockOutputs(const kilonas_conv_params* p, const kilonas_add_params* add, const kilonas_add_fast* f,
                             const uint32_t* columns, int32_t groups, int32_t cout, int8_t* o0, int8_t* o1) {
  if (add && p->fast_requant && f->fast_output) {
    WideChannelsFastAdd(p, add, f, columns, groups, cout, o0, o1);
    return;
  }
  int32_t first = 0;
#if KILONAS_SIMD_NATIVE
  if (!add && p->fast_requant && cout >= 2) {
    first = cout / 2 * 2;
    WideBlock b = {o0, o1, p->channels, p->channels + first * KILONAS_WIDE_RECORD, columns, 0};
    kilonas_pointwise_wide_pairs((const uint32_t*)p->weights, columns, columns + groups * kGroupWords, &b);
  }
#endif
  WideChannels(p, add, f, columns, groups, first, cout, o0, o1);
}

/* The next pixel of the rect in row-major order. */
static void Advance(const kilonas_rect* r, int32_t* y, int32_t* x) {
  if (++*x == r->x0 + r->w) {
    *x = r->x0;
    ++*y;
  }
}

/* The rect's pixels two at a time (an odd last one twice: the same value, and with an add every
 * residual is read before any is written). */
static void RunWide(const kilonas_conv_params* p, const kilonas_add_params* add, const int8_t* in,
                    const kilonas_view* iv, int8_t* out, const kilonas_view* ov, const kilonas_rect* r,
                    int16_t* scratch) {
  kilonas_add_fast f;
  if (add) kilonas_add_prepare(add, &f);
  const int32_t n = iv->c, groups = (n + 3) / 4, total = r->h * r->w;
  uint32_t* const columns = (uint32_t*)scratch; /* word aligned */
  int32_t y = r->y0, x = r->x0;
  for (int32_t i = 0; i < total; i += kWidePixels) {
    const int32_t y0 = y, x0 = x;
    Advance(r, &y, &x);
    const int32_t y1 = i + 1 < total ? y : y0, x1 = i + 1 < total ? x : x0;
    if (i + 1 < total) Advance(r, &y, &x);
    WidenPair(in + kilonas_pixel(iv, y0, x0), in + kilonas_pixel(iv, y1, x1), columns, n);
    WideBlockOutputs(p, add, add ? &f : 0, columns, groups, ov->c, out + kilonas_pixel(ov, y0, x0),
                     out + kilonas_pixel(ov, y1, x1));
  }
}

void kilonas_pointwise_wide_dsp(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                                const kilonas_view* ov, const kilonas_rect* r, int16_t* scratch) {
  RunWide(p, 0, in, iv, out, ov, r, scratch);
}

void kilonas_pointwise_add_wide_dsp(const kilonas_conv_params* p, const kilonas_add_params* a, const int8_t* in,
                                    const kilonas_view* iv, int8_t* residual, const kilonas_view* rv,
                                    const kilonas_rect* r, int16_t* scratch) {
  RunWide(p, a, in, iv, residual, rv, r, scratch);
}

void kilonas_pointwise_wide_constants(const int8_t* weights, int32_t cout, int32_t cin, const int32_t* words,
                                      int32_t output_offset, int32_t fast, int16_t* wide, int32_t* records) {
  const int32_t groups = (cin + 3) / 4;
  for (int32_t c = 0; c < cout; c += 2) {
    const int32_t rows = c + 1 < cout ? 2 : 1;
    for (int32_t g = 0; g < groups; ++g) {
      for (int32_t r = 0; r < rows; ++r, wide += 4) {
        const int8_t* const row = weights + (c + r) * cin + 4 * g;
        for (int32_t k = 0; k < 4; ++k) {
          /* (w0, w2) then (w1, w3): halfword k of the pair is weight 2 (k % 2) + k / 2 */
          const int32_t i = 2 * (k % 2) + k / 2;
          wide[k] = (int16_t)(4 * g + i < cin ? 2 * row[i] : 0); /* doubled: the accumulator's form */
        }
      }
    }
  }
  for (int32_t c = 0; c < cout; ++c, words += KILONAS_CHANNEL_WORDS, records += KILONAS_WIDE_RECORD) {
    const int32_t r = -words[2];
    records[0] = words[1];
    records[1] = r;
    records[2] = fast ? kilonas_round_zp(r, output_offset) : 0;
    records[3] = words[0];
  }
}

/* Two pixels' q15 inputs, each padded to whole groups of four. */
int64_t kilonas_pointwise_wide_dsp_scratch(const kilonas_scratch_query* q) {
  return 2 * (((int64_t)q->in_c + 3) / 4 * 4) * 2;
}
