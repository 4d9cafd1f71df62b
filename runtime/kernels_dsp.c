/* SMLAD kernels. The inputs of P output pixels (P = 4 for pointwise, 2 for conv, whose columns
 * are k x k times longer) are widened to q15 and doubled into a scratch of P columns; the input
 * offset is folded into the channel's bias, so a column holds 2 x input and zero padding holds
 * 2 x the zero point. The columns are interleaved so that one aligned stream feeds all P pixels:
 * for every group of four inputs x0..x3 there are two words per pixel,
 *   [pixel 0: (x0, x2)] [pixel 0: (x1, x3)] [pixel 1: (x0, x2)] [pixel 1: (x1, x3)] ...
 * which line up with SXTB16(w) = (w0, w2) and SXTB16(w ror 8) = (w1, w3) of a weight word (and
 * are what SXTB16 makes of an input word). The core computes 1 output channel x P pixels: per 4
 * inputs one weight load, 2 SXTB16, P double-word column loads and 2P SMLAD for 4P MACs, with
 * every operand in a register. Leftover inputs (n % 4) follow the groups as plain q15 values,
 * pixel by pixel. A last block of fewer than P pixels repeats its last pixel.
 *
 * The accumulators are thus 2 x the reference's (the model loader bounds them below 2^30), which
 * is what SMMULR needs for TFLite's doubling high multiply; see kilonas_output_fast. */
#include <string.h>

#include "kernel_common.h"

/* Four (or, for P = 2, two) accumulators of one output channel. */
typedef struct {
  int32_t a0, a1, a2, a3;
} Acc;

/* The grouped part of Core: acc += row . pixel p over `groups` groups (>= 1) of the P columns. */
#if KILONAS_SIMD_NATIVE
/* One group of 4 inputs: the weight word split into (w0, w2) and (w1, w3)... */
#define KILONAS_GROUP_HEAD             \
  "1:\n\t"                             \
  "ldr %[even], [%[w]], #4\n\t"        \
  "sxtb16 %[odd], %[even], ror #8\n\t" \
  "sxtb16 %[even], %[even]\n\t"
/* ...times one pixel's two column words. */
#define KILONAS_PIXEL_STEP(a)              \
  "ldrd %[c0], %[c1], [%[col]], #8\n\t"    \
  "smlad %[" #a "], %[even], %[c0], %[" #a \
  "]\n\t"                                  \
  "smlad %[" #a "], %[odd], %[c1], %[" #a "]\n\t"
#define KILONAS_GROUP_TAIL \
  "cmp %[col], %[end]\n\t" \
  "bne 1b\n\t"
KILONAS_ALWAYS_INLINE Acc CoreGroups(const int8_t* w, const uint32_t* col, int32_t groups, Acc acc, const int P) {
  const uint32_t* const end = col + groups * 2 * P;
  uint32_t even, odd, c0, c1;
  if (P > 2) {
    __asm__ volatile(KILONAS_GROUP_HEAD KILONAS_PIXEL_STEP(a0) KILONAS_PIXEL_STEP(a1) KILONAS_PIXEL_STEP(a2)
                         KILONAS_PIXEL_STEP(a3) KILONAS_GROUP_TAIL
                     : [a0] "+r"(acc.a0), [a1] "+r"(acc.a1), [a2] "+r"(acc.a2), [a3] "+r"(acc.a3), [w] "+r"(w),
                       [col] "+r"(col), [even] "=&r"(even), [odd] "=&r"(odd), [c0] "=&r"(c0), [c1] "=&r"(c1)
                     : [end] "r"(end)
                     : "cc", "memory");
  } else {
    __asm__ volatile(KILONAS_GROUP_HEAD KILONAS_PIXEL_STEP(a0) KILONAS_PIXEL_STEP(a1) KILONAS_GROUP_TAIL
                     : [a0] "+r"(acc.a0), [a1] "+r"(acc.a1), [w] "+r"(w), [col] "+r"(col), [even] "=&r"(even),
                       [odd] "=&r"(odd), [c0] "=&r"(c0), [c1] "=&r"(c1)
                     : [end] "r"(end)
                     : "cc", "memory");
  }
  return acc;
}
#else
KILONAS_ALWAYS_INLINE Acc CoreGroups(const int8_t* w, const uint32_t* col, int32_t groups, Acc acc, const int P) {
  for (int32_t g = 0; g < groups; ++g, w += 4, col += 2 * P) {
    const uint32_t word = kilonas_load32(w);
    const uint32_t even = kilonas_sxtb16(word), odd = kilonas_sxtb16_ror8(word);
    acc.a0 = kilonas_smlad(odd, col[1], kilonas_smlad(even, col[0], acc.a0));
    acc.a1 = kilonas_smlad(odd, col[3], kilonas_smlad(even, col[2], acc.a1));
    if (P > 2) {
      acc.a2 = kilonas_smlad(odd, col[5], kilonas_smlad(even, col[4], acc.a2));
      acc.a3 = kilonas_smlad(odd, col[7], kilonas_smlad(even, col[6], acc.a3));
    }
  }
  return acc;
}
#endif

/* acc + row . pixel p for the P pixels of the columns. */
KILONAS_ALWAYS_INLINE Acc Core(const int8_t* w, const int16_t* columns, int32_t n, Acc acc, const int P) {
  const int32_t groups = n / 4, rest = n % 4;
  if (groups > 0) acc = CoreGroups(w, (const uint32_t*)columns, groups, acc, P); /* the scratch is word aligned */
  const int16_t* t = columns + groups * 4 * P;
  w += groups * 4;
  for (int32_t i = 0; i < rest; ++i, ++t) {
    acc.a0 += w[i] * t[0];
    acc.a1 += w[i] * t[rest];
    if (P > 2) {
      acc.a2 += w[i] * t[2 * rest];
      acc.a3 += w[i] * t[3 * rest];
    }
  }
  return acc;
}

/* Output pixels of a block: a repeated pixel has the last pixel's output (it gets the same value,
 * and with a fused add every residual is read before any is written). */
typedef struct {
  int8_t *o0, *o1, *o2, *o3;
} Pixels;

/* All output channels of a block of P pixels; `fast` and `add` are constants in every
 * instantiation but the general one. With `fast` and an add, the add's output is fast too. */
KILONAS_ALWAYS_INLINE void Outputs(const kilonas_conv_params* p, const kilonas_add_params* add,
                                   const kilonas_add_fast* add_fast, const int16_t* columns, int32_t n, int32_t row,
                                   Pixels o, int32_t cout, const int P, const int fast) {
  const int8_t* w = p->weights;
  const int32_t* ch = p->channels;
  const int32_t zp = p->output_offset;
  kilonas_add_fast f = {0};
  if (add) f = *add_fast;
  for (int32_t oc = 0; oc < cout; ++oc, w += row, ch += KILONAS_CHANNEL_WORDS) {
    Acc acc = {ch[0], ch[0], ch[0], ch[0]};
    acc = Core(w, columns, n, acc, P);
    int8_t y0, y1, y2 = 0, y3 = 0;
    if (fast) {
      const int32_t m = ch[1], r = -ch[2], round_zp = kilonas_round_zp(r, zp);
      y0 = kilonas_output_fast(acc.a0, m, r, round_zp);
      y1 = kilonas_output_fast(acc.a1, m, r, round_zp);
      if (P > 2) {
        y2 = kilonas_output_fast(acc.a2, m, r, round_zp);
        y3 = kilonas_output_fast(acc.a3, m, r, round_zp);
      }
    } else {
      y0 = kilonas_finish_doubled(p, acc.a0, ch);
      y1 = kilonas_finish_doubled(p, acc.a1, ch);
      if (P > 2) {
        y2 = kilonas_finish_doubled(p, acc.a2, ch);
        y3 = kilonas_finish_doubled(p, acc.a3, ch);
      }
    }
    if (add && fast) {
      const int8_t r0 = o.o0[oc], r1 = o.o1[oc], r2 = P > 2 ? o.o2[oc] : 0, r3 = P > 2 ? o.o3[oc] : 0;
      y0 = kilonas_add_fast_output(f, r0, y0);
      y1 = kilonas_add_fast_output(f, r1, y1);
      if (P > 2) {
        y2 = kilonas_add_fast_output(f, r2, y2);
        y3 = kilonas_add_fast_output(f, r3, y3);
      }
    } else if (add) {
      const int8_t r0 = o.o0[oc], r1 = o.o1[oc], r2 = P > 2 ? o.o2[oc] : 0, r3 = P > 2 ? o.o3[oc] : 0;
      y0 = kilonas_add_one_fast(&f, add, r0, y0);
      y1 = kilonas_add_one_fast(&f, add, r1, y1);
      if (P > 2) {
        y2 = kilonas_add_one_fast(&f, add, r2, y2);
        y3 = kilonas_add_one_fast(&f, add, r3, y3);
      }
    }
    o.o0[oc] = y0;
    o.o1[oc] = y1;
    if (P > 2) {
      o.o2[oc] = y2;
      o.o3[oc] = y3;
    }
  }
}

/* n: values per column; row: the weights' row length, n or (conv) up to 3 less: the core reads n
 * weights per row, and those past a shorter row meet zero columns. Weight arrays are padded to a
 * multiple of 4 bytes, so the last row's reads stay inside. */
typedef void (*OutputsFn)(const kilonas_conv_params* p, const kilonas_add_params* add, const kilonas_add_fast* add_fast,
                          const int16_t* columns, int32_t n, int32_t row, Pixels o, int32_t cout);

#define KILONAS_OUTPUTS(name, P, fast, with_add)                                                                  \
  static void name(const kilonas_conv_params* p, const kilonas_add_params* add, const kilonas_add_fast* add_fast, \
                   const int16_t* columns, int32_t n, int32_t row, Pixels o, int32_t cout) {                      \
    Outputs(p, with_add ? add : 0, add_fast, columns, n, row, o, cout, P, fast);                                  \
  }
#if KILONAS_SIMD_NATIVE
/* kernels_dsp_arm.S: Outputs4Fast for Cin a multiple of 4, every operand in a register. */
typedef struct {
  int8_t* o[4];
  int32_t odd_zp;  /* 2 x output zero point + 1 (kilonas_round_zp) */
  int32_t row_pad; /* n - row: read past each weight row */
  const int32_t* channels_end;
} Block4;
void kilonas_pointwise4_channels(const int8_t* weights, const int32_t* channels, const uint32_t* columns,
                                 const uint32_t* columns_end, Block4* block);
#endif

static void Outputs4Fast(const kilonas_conv_params* p, const kilonas_add_params* add, const kilonas_add_fast* add_fast,
                         const int16_t* columns, int32_t n, int32_t row, Pixels o, int32_t cout) {
#if KILONAS_SIMD_NATIVE
  if (n % 4 == 0 && n >= 4) {
    Block4 block = {
        {o.o0, o.o1, o.o2, o.o3}, 2 * p->output_offset + 1, n - row, p->channels + cout * KILONAS_CHANNEL_WORDS};
    kilonas_pointwise4_channels(p->weights, p->channels, (const uint32_t*)columns, (const uint32_t*)columns + n / 4 * 8,
                                &block);
    return;
  }
#endif
  Outputs(p, 0, add_fast, columns, n, row, o, cout, 4, 1);
  (void)add;
}

KILONAS_OUTPUTS(Outputs4FastAdd, 4, 1, 1)
KILONAS_OUTPUTS(Outputs4General, 4, 0, 1) /* with or without an add */
KILONAS_OUTPUTS(Outputs2Fast, 2, 1, 0)
KILONAS_OUTPUTS(Outputs2General, 2, 0, 0)

/* The pixels of one block: P of the rect's pixels in row-major order from the walk's (y, x),
 * which advances; a block past the rect's end repeats its last pixel (it gets the same value). */
typedef struct {
  int32_t y[4], x[4];
} Block;

static Block NextBlock(const kilonas_rect* r, int32_t* y, int32_t* x, int32_t remaining, int32_t P) {
  Block b;
  int32_t last_y = *y, last_x = *x;
  for (int32_t px = 0; px < P; ++px) {
    if (px < remaining) {
      last_y = *y;
      last_x = *x;
      if (++*x == r->x0 + r->w) {
        *x = r->x0;
        ++*y;
      }
    }
    b.y[px] = last_y;
    b.x[px] = last_x;
  }
  return b;
}

/* n int8 inputs, doubled, as column `px` of P: a word of 4 inputs gives the group's two column
 * words, the n % 4 last ones follow the groups. */
static void Widen(const int8_t* src, int16_t* columns, int32_t n, int32_t px, int32_t P) {
  const int32_t groups = n / 4, rest = n % 4;
  uint32_t* dst = (uint32_t*)columns + px * 2;
  for (int32_t g = 0; g < groups; ++g, src += 4, dst += 2 * P) {
    const uint32_t word = kilonas_load32(src);
    const uint32_t even = kilonas_sxtb16(word), odd = kilonas_sxtb16_ror8(word);
    dst[0] = kilonas_sadd16(even, even);
    dst[1] = kilonas_sadd16(odd, odd);
  }
  int16_t* tail = columns + groups * 4 * P + px * rest;
  for (int32_t i = 0; i < rest; ++i) tail[i] = (int16_t)(2 * src[i]);
}

/* Widen of four pixels whose inputs lie one after another (n apart) from src, all four columns in
 * one pass: one loop instead of four, and no per-pixel call. */
static void Widen4(const int8_t* src, int16_t* columns, int32_t n) {
  const int32_t groups = n / 4, rest = n % 4;
  uint32_t* dst = (uint32_t*)columns;
  const int8_t* s = src;
  for (int32_t g = 0; g < groups; ++g, s += 4, dst += 8) {
#pragma GCC unroll 4
    for (int32_t px = 0; px < 4; ++px) {
      const uint32_t word = kilonas_load32(s + px * n);
      const uint32_t even = kilonas_sxtb16(word), odd = kilonas_sxtb16_ror8(word);
      dst[2 * px] = kilonas_sadd16(even, even);
      dst[2 * px + 1] = kilonas_sadd16(odd, odd);
    }
  }
  int16_t* tail = columns + groups * 16;
  for (int32_t px = 0; px < 4; ++px) {
    for (int32_t i = 0; i < rest; ++i) *tail++ = (int16_t)(2 * s[px * n + i]);
  }
}

/* Pointwise: the rect's pixels in blocks of four, the block's inputs widened by Widen4 when they
 * are contiguous (always but across a row end of a rect narrower than its view); a rect of whole
 * view rows is walked by pointers alone, the last partial block by NextBlock. */
static void RunPointwise(const kilonas_conv_params* p, const kilonas_add_params* add, const kilonas_add_fast* add_fast,
                         const int8_t* in, const kilonas_view* iv, int8_t* out, const kilonas_view* ov,
                         const kilonas_rect* r, int16_t* scratch, OutputsFn outputs) {
  const int32_t n = iv->c, total = r->h * r->w;
  int32_t i = 0;
  if (r->x0 == iv->x0 && r->w == iv->w && r->x0 == ov->x0 && r->w == ov->w) {
    /* Whole rows of both views: the rect's pixels lie one after another, block after block. */
    const int32_t cout = ov->c;
    const int8_t* src = in + kilonas_pixel(iv, r->y0, r->x0);
    int8_t* dst = out + kilonas_pixel(ov, r->y0, r->x0);
    for (; i + 4 <= total; i += 4, src += 4 * n, dst += 4 * cout) {
      Widen4(src, scratch, n);
      const Pixels pixels = {dst, dst + cout, dst + 2 * cout, dst + 3 * cout};
      outputs(p, add, add_fast, scratch, n, n, pixels, cout);
    }
  }
  int32_t y = r->y0 + i / r->w, x = r->x0 + i % r->w;
  for (; i < total; i += 4) {
    const Block b = NextBlock(r, &y, &x, total - i, 4);
    const int8_t* src[4];
    for (int32_t px = 0; px < 4; ++px) src[px] = in + kilonas_pixel(iv, b.y[px], b.x[px]);
    if (src[1] == src[0] + n && src[2] == src[1] + n && src[3] == src[2] + n) {
      Widen4(src[0], scratch, n);
    } else {
      for (int32_t px = 0; px < 4; ++px) Widen(src[px], scratch, n, px, 4);
    }
    const Pixels pixels = {out + kilonas_pixel(ov, b.y[0], b.x[0]), out + kilonas_pixel(ov, b.y[1], b.x[1]),
                           out + kilonas_pixel(ov, b.y[2], b.x[2]), out + kilonas_pixel(ov, b.y[3], b.x[3])};
    outputs(p, add, add_fast, scratch, n, n, pixels, ov->c);
  }
}

static void CopyBytes(int8_t* dst, const int8_t* src, int32_t n) {
  for (; n >= 4; n -= 4, dst += 4, src += 4) {
    const uint32_t word = kilonas_load32(src);
    memcpy(dst, &word, 4);
  }
  for (; n > 0; --n) *dst++ = *src++;
}

static void SetBytes(int8_t* dst, int8_t value, int32_t n) {
  for (; n > 0; --n) *dst++ = value;
}

/* im2col of one output pixel: its kh x kw x Cin window (`row` values) in weight order, the zero
 * point outside the tensor, gathered as int8 after the P columns (row by row: a window row inside
 * the tensor is kw x Cin contiguous bytes), zeros up to n (a multiple of 4), then widened. */
static void FillConv(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int32_t y, int32_t x,
                     int16_t* columns, int32_t n, int32_t row, int32_t px, int32_t P) {
  const int32_t kh = p->kernel, kw = p->kernel_w, cin = iv->c, in_h = p->in_h, in_w = p->in_w, row_bytes = kw * cin;
  const int32_t iy0 = y * p->stride - p->pad, ix0 = x * p->stride - p->pad_w;
  const int8_t zero_point = (int8_t)(-p->input_offset);
  int8_t* const window = (int8_t*)(columns + P * n);
  int8_t* t = window;
  for (int32_t iy = iy0; iy < iy0 + kh; ++iy, t += row_bytes) {
    if (iy < 0 || iy >= in_h) {
      SetBytes(t, zero_point, row_bytes);
    } else if (ix0 >= 0 && ix0 + kw <= in_w) {
      CopyBytes(t, in + kilonas_pixel(iv, iy, ix0), row_bytes);
    } else {
      for (int32_t kx = 0; kx < kw; ++kx) {
        const int32_t ix = ix0 + kx;
        if (ix < 0 || ix >= in_w) {
          SetBytes(t + kx * cin, zero_point, cin);
        } else {
          CopyBytes(t + kx * cin, in + kilonas_pixel(iv, iy, ix), cin);
        }
      }
    }
  }
  SetBytes(window + row, 0, n - row);
  Widen(window, columns, n, px, P);
}

void kilonas_conv2d_dsp(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                        const kilonas_view* ov, const kilonas_rect* r, int16_t* scratch) {
  const int32_t row = p->kernel * p->kernel_w * iv->c, n = (row + 3) / 4 * 4;
  const int32_t P = kilonas_conv2d_dsp_block_pixels(row) == 4 ? 4 : 2;
  const OutputsFn outputs =
      P == 4 ? (p->fast_requant ? Outputs4Fast : Outputs4General) : (p->fast_requant ? Outputs2Fast : Outputs2General);
  const int32_t total = r->h * r->w;
  int32_t y = r->y0, x = r->x0;
  for (int32_t i = 0; i < total; i += P) {
    const Block b = NextBlock(r, &y, &x, total - i, P);
    for (int32_t px = 0; px < P; ++px) FillConv(p, in, iv, b.y[px], b.x[px], scratch, n, row, px, P);
    const int32_t third = P > 2 ? 2 : 1, fourth = P > 2 ? 3 : 1; /* P = 2 uses two */
    const Pixels pixels = {out + kilonas_pixel(ov, b.y[0], b.x[0]), out + kilonas_pixel(ov, b.y[1], b.x[1]),
                           out + kilonas_pixel(ov, b.y[third], b.x[third]),
                           out + kilonas_pixel(ov, b.y[fourth], b.x[fourth])};
    outputs(p, 0, 0, scratch, n, row, pixels, ov->c);
  }
}

void kilonas_pointwise_dsp(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                           const kilonas_view* ov, const kilonas_rect* r, int16_t* scratch) {
  RunPointwise(p, 0, 0, in, iv, out, ov, r, scratch, p->fast_requant ? Outputs4Fast : Outputs4General);
}

void kilonas_pointwise_add_dsp(const kilonas_conv_params* p, const kilonas_add_params* a, const int8_t* in,
                               const kilonas_view* iv, int8_t* residual, const kilonas_view* rv, const kilonas_rect* r,
                               int16_t* scratch) {
  kilonas_add_fast add_fast;
  kilonas_add_prepare(a, &add_fast);
  RunPointwise(p, a, &add_fast, in, iv, residual, rv, r, scratch,
               p->fast_requant && add_fast.fast_output ? Outputs4FastAdd : Outputs4General);
}

/* Fully connected, four output channels (weight rows) at a time, a weight word in four
 * instructions (load, two SMLAD, one SXTB16) instead of five: the word is stored as the bytes
 * W = (w0 + 128, w1, w2 + 128, w3) (kilonas_fully_connected_dsp_constants), whose low halfword is
 * 256 w1 + w0 + 128, and is used twice, as it is and as SXTB16(W ror 8) = (w1, w3), against two
 * words made from the inputs once per call (FcPairs):
 *   A = (x0, x2),  B = (x1 - 256 x0 - 128, x3 - 256 x2 - 128),
 *   SMLAD(W, A) + SMLAD((w1, w3), B) = w.x + 128 (x0 + x2) - 128 (w1 + w3).
 * The second term is the same for every row (taken from the start value), the third is in the
 * row's bias (the constants). B fits a halfword: x1 - 256 x0 - 128 lies in [-32768, 32767] for
 * int8 x. With the loop, 36 instructions per 32 MACs. The inputs are raw (the input offset is
 * folded into the channel words' bias), so the sums are halved accumulators until the end.
 *
 * A block's rows are p, p + n, q, q + n (n = in_n bytes, or 0). The last block of a layer with
 * at least four rows is moved back to end at the last row (it recomputes a few rows, with the
 * same results); fewer than four rows repeat some (1: 0000, 2: 0101, 3: 0112). */
typedef struct {
  const int8_t *p, *q;
  int32_t n;
  int32_t a[4];
} FcBlock;

/* A and B of every whole group of inputs into `pairs`; returns 128 x the sum of the x0 and x2. */
static int32_t FcPairs(const int8_t* in, int32_t groups, uint32_t* pairs) {
  int32_t even = 0;
  for (int32_t g = 0; g < groups; ++g, in += 4, pairs += 2) {
    const uint32_t x = kilonas_load32(in);
    const uint32_t a = kilonas_sxtb16(x);
    const uint32_t high = ((x & 0x00FF00FFu) << 8) | 0x00800080u; /* halfwords 256 x0 + 128, 256 x2 + 128 */
    pairs[0] = a;
    pairs[1] = kilonas_ssub16(kilonas_sxtb16_ror8(x), high);
    even = kilonas_smlad(a, 0x00800080u, even);
  }
  return even;
}

#if KILONAS_SIMD_NATIVE
/* kernels_dsp_arm.S: the groups of a block, every operand in a register. */
void kilonas_fc4_groups(const uint32_t* pairs, const uint32_t* pairs_end, FcBlock* block);
#else
static void kilonas_fc4_groups(const uint32_t* pairs, const uint32_t* pairs_end, FcBlock* b) {
  const int8_t* const rows[4] = {b->p, b->p + b->n, b->q, b->q + b->n};
  for (int32_t i = 0; pairs + 2 * i < pairs_end; ++i) {
    for (int32_t r = 0; r < 4; ++r) {
      const uint32_t w = kilonas_load32(rows[r] + 4 * i);
      b->a[r] = kilonas_smlad(kilonas_sxtb16_ror8(w), pairs[2 * i + 1], kilonas_smlad(w, pairs[2 * i], b->a[r]));
    }
  }
}
#endif

static int32_t DotRest(const int8_t* w, const int8_t* x, int32_t n, int32_t acc) {
  for (int32_t i = 0; i < n; ++i) acc += w[i] * x[i];
  return acc;
}

void kilonas_fully_connected_dsp(const kilonas_conv_params* p, const int8_t* in, int32_t in_n, int8_t* out,
                                 int32_t out_n, int16_t* scratch) {
  const int32_t groups = in_n / 4, done = groups * 4, zp = p->output_offset;
  uint32_t* const pairs = (uint32_t*)scratch; /* word aligned */
  const int32_t even = groups > 0 ? FcPairs(in, groups, pairs) : 0;
  for (int32_t oc = 0; oc < out_n; oc += 4) {
    int32_t row[4];
    if (out_n >= 4) {
      const int32_t first = oc + 4 <= out_n ? oc : out_n - 4;
      for (int32_t r = 0; r < 4; ++r) row[r] = first + r;
    } else {
      row[0] = 0;
      row[1] = out_n > 1;
      row[2] = out_n == 3;
      row[3] = row[2] + (out_n > 1);
    }
    const int8_t* const w = p->weights;
    FcBlock b = {w + row[0] * in_n, w + row[2] * in_n, (row[1] - row[0]) * in_n, {0, 0, 0, 0}};
    for (int32_t r = 0; r < 4; ++r) b.a[r] = (p->channels[row[r] * KILONAS_CHANNEL_WORDS] >> 1) - even;
    if (groups > 0) kilonas_fc4_groups(pairs, pairs + 2 * groups, &b);
    for (int32_t r = 0; r < 4; ++r) {
      const int32_t* const ch = p->channels + row[r] * KILONAS_CHANNEL_WORDS;
      const int32_t acc2 = DotRest(w + row[r] * in_n + done, in + done, in_n - done, b.a[r]) * 2;
      out[row[r]] = p->fast_requant ? kilonas_output_fast(acc2, ch[1], -ch[2], kilonas_round_zp(-ch[2], zp))
                                    : kilonas_finish_doubled(p, acc2, ch);
    }
  }
}

void kilonas_fully_connected_dsp_constants(int8_t* weights, int32_t rows, int32_t in_n, int32_t* words) {
  const int32_t done = in_n / 4 * 4;
  for (int32_t r = 0; r < rows; ++r, weights += in_n, words += KILONAS_CHANNEL_WORDS) {
    int32_t odd = 0;
    for (int32_t i = 0; i < done; i += 2) {
      odd += weights[i + 1];
      weights[i] = (int8_t)((uint8_t)weights[i] ^ 0x80u);
    }
    words[0] += 2 * 128 * odd;
  }
}

int32_t kilonas_conv2d_dsp_block_pixels(int64_t window) { return window <= 64 ? 4 : 2; }

/* A block of q15 im2col columns (block pixels x the window rounded up to whole words, 2 bytes
 * each) and the int8 window they are widened from (rounded up to a word). */
int64_t kilonas_conv2d_dsp_scratch(const kilonas_scratch_query* q) {
  const int64_t window = (int64_t)q->kernel * q->kernel_w * q->in_c;
  const int64_t padded = (window + 3) / 4 * 4;
  return kilonas_conv2d_dsp_block_pixels(window) * padded * 2 + padded;
}

/* Four q15 input pixels. */
int64_t kilonas_pointwise_dsp_scratch(const kilonas_scratch_query* q) { return 4 * (int64_t)q->in_c * 2; }

/* Two words per whole group of four inputs (the input pairs the weights are multiplied with). */
int64_t kilonas_fully_connected_dsp_scratch(const kilonas_scratch_query* q) {
  return (int64_t)q->in_h * q->in_w * q->in_c / 4 * 8;
}
