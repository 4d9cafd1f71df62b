/* In-place depthwise convolution (TinyEngine style): channel by channel, the input channel is
 * copied into scratch with a ring of the zero point, then that channel's outputs are written over
 * the input buffer. The ring makes every window lie inside the scratch, and
 * sum(w * (x + offset)) = sum(w * x) + offset * sum(w) moves the offset into the bias.
 *
 * Two horizontally adjacent outputs are computed together with SMLAD. Their windows span
 * k + stride bytes of a scratch row, read as 32-bit words (the last one ending exactly at the
 * span's end, so nothing outside the scratch is read). For each word, SXTB16 gives the lanes
 * (x0, x2) and (x1, x3); each output has one packed weight pair per word and lane parity, with
 * a zero where the lane is outside that output's window or already counted by an earlier word.
 * A 3x3 stride-1 pair costs per row 1 load, 2 SXTB16 and 4 SMLAD for 6 MACs. */
#include "kernel_common.h"
#include "kilonas_simd.h"

enum { kMaxKernel = 7, kMaxWords = 3 }; /* words per row: ceil((k + stride) / 4) */

static inline uint32_t Pack(int32_t lo, int32_t hi) {
  return (uint32_t)(uint16_t)lo | ((uint32_t)(uint16_t)hi << 16);
}

/* Byte offset of word i of `words` in a span of `span` bytes. */
static inline int32_t WordOffset(int32_t i, int32_t words, int32_t span) {
  return i + 1 < words ? 4 * i : span - 4;
}

/* Packed weights for one channel: per row, per word, {out0 even, out0 odd, out1 even, out1 odd}. */
static void PackChannel(const int32_t* w, int32_t k, int32_t stride, int32_t words,
                        uint32_t* packed) {
  const int32_t span = k + stride;
  for (int32_t ky = 0; ky < k; ++ky) {
    for (int32_t i = 0; i < words; ++i, packed += 4) {
      const int32_t offset = WordOffset(i, words, span);
      const int32_t owned_from = 4 * i; /* bytes before this belong to earlier words */
      for (int32_t slot = 0; slot < 4; ++slot) {
        const int32_t out = slot / 2, parity = slot % 2;
        int32_t lane[2];
        for (int32_t half = 0; half < 2; ++half) {
          const int32_t byte = offset + parity + 2 * half, kx = byte - out * stride;
          lane[half] = byte >= owned_from && kx >= 0 && kx < k ? w[ky * k + kx] : 0;
        }
        packed[slot] = Pack(lane[0], lane[1]);
      }
    }
  }
}

/* Window sums of outputs (n, n + 1) whose first window starts at `window`. */
static inline __attribute__((always_inline)) void PairSums(const int8_t* window, int32_t sw,
                                                           int32_t k, int32_t words, int32_t span,
                                                           const uint32_t* packed, int32_t* a0,
                                                           int32_t* a1) {
  int32_t s0 = *a0, s1 = *a1;
  /* -O2 does not unroll these by itself; unrolled, the weight words are constant-offset loads. */
#pragma GCC unroll 7
  for (int32_t ky = 0; ky < k; ++ky, window += sw) {
#pragma GCC unroll 3
    for (int32_t i = 0; i < words; ++i, packed += 4) {
      const uint32_t x = kilonas_load32(window + WordOffset(i, words, span));
      const uint32_t even = kilonas_sxtb16(x), odd = kilonas_sxtb16_ror8(x);
      s0 = kilonas_smlad(packed[1], odd, kilonas_smlad(packed[0], even, s0));
      s1 = kilonas_smlad(packed[3], odd, kilonas_smlad(packed[2], even, s1));
    }
  }
  *a0 = s0;
  *a1 = s1;
}

static inline int32_t WindowSum(const int8_t* window, int32_t sw, int32_t k, const int32_t* w) {
  int32_t acc = 0;
  for (int32_t ky = 0; ky < k; ++ky, window += sw) {
    for (int32_t kx = 0; kx < k; ++kx) acc += w[ky * k + kx] * window[kx];
  }
  return acc;
}

typedef struct {
  int32_t sw;           /* scratch row length */
  int32_t first_window; /* scratch offset of the rect's first window */
  int32_t out_row;      /* output offset of the rect's first pixel */
  int32_t out_stride_y; /* output offset between rows */
  int32_t rows, width, c;
} Geometry;

/* One channel's outputs, two at a time. */
static inline __attribute__((always_inline)) void Channel(
    const Geometry* g, int32_t k, int32_t stride, const int8_t* scratch, const int32_t* w,
    const uint32_t* packed, int32_t bias, const kilonas_conv_params* p, int32_t ch, int8_t* out) {
  const int32_t words = (k + stride + 3) / 4, span = k + stride, sw = g->sw, c = g->c,
                width = g->width;
  /* Locals only in the loop: stores through int8_t* may alias the parameter structs. */
  const int32_t multiplier = p->multiplier[ch], shift = p->shift[ch];
  const int32_t out_offset = p->output_offset, act_min = p->act_min, act_max = p->act_max;
  for (int32_t y = 0; y < g->rows; ++y) {
    const int8_t* window = scratch + g->first_window + y * stride * sw;
    int8_t* o = out + g->out_row + y * g->out_stride_y + ch;
    int32_t n = 0;
    for (; n + 1 < width; n += 2, window += 2 * stride, o += 2 * c) {
      int32_t a0 = bias, a1 = bias;
      PairSums(window, sw, k, words, span, packed, &a0, &a1);
      o[0] = kilonas_clamp8(kilonas_requant(a0, multiplier, shift) + out_offset, act_min, act_max);
      o[c] = kilonas_clamp8(kilonas_requant(a1, multiplier, shift) + out_offset, act_min, act_max);
    }
    if (n < width) {
      const int32_t acc = bias + WindowSum(window, sw, k, w);
      o[0] = kilonas_clamp8(kilonas_requant(acc, multiplier, shift) + out_offset, act_min, act_max);
    }
  }
}

/* One output at a time, plain multiply-accumulate: the reference set and unusual kernels. */
static void ChannelGeneric(const Geometry* g, int32_t k, int32_t stride, const int8_t* scratch,
                           const int32_t* w, int32_t bias, const kilonas_conv_params* p, int32_t ch,
                           int8_t* out) {
  const int32_t multiplier = p->multiplier[ch], shift = p->shift[ch];
  const int32_t out_offset = p->output_offset, act_min = p->act_min, act_max = p->act_max;
  for (int32_t y = 0; y < g->rows; ++y) {
    const int8_t* window = scratch + g->first_window + y * stride * g->sw;
    int8_t* o = out + g->out_row + y * g->out_stride_y + ch;
    for (int32_t n = 0; n < g->width; ++n, window += stride, o += g->c) {
      const int32_t acc = bias + WindowSum(window, g->sw, k, w);
      *o = kilonas_clamp8(kilonas_requant(acc, multiplier, shift) + out_offset, act_min, act_max);
    }
  }
}

static void Run(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv,
                const kilonas_view* ov, const kilonas_rect* r, int8_t* scratch, int use_smlad) {
  const int32_t k = p->kernel, c = iv->c, pad = p->pad, stride = p->stride;
  const int32_t sw = iv->w + 2 * pad, sh = iv->h + 2 * pad;
  const int8_t zero_point = (int8_t)(-p->input_offset);
  Geometry g;
  g.sw = sw;
  g.first_window = (r->y0 * stride - iv->y0) * sw + r->x0 * stride - iv->x0;
  g.out_row = ((r->y0 - ov->y0) * ov->w + (r->x0 - ov->x0)) * c;
  g.out_stride_y = ov->w * c;
  g.rows = r->h;
  g.width = r->w;
  g.c = c;
  /* The SMLAD path is specialized for the kernels and strides of the search spaces. */
  const int paired = use_smlad && (k == 3 || k == 5 || k == 7) && (stride == 1 || stride == 2);
  int32_t w[kMaxKernel * kMaxKernel];
  uint32_t packed[kMaxKernel * kMaxWords * 4];
  if (k > kMaxKernel) return; /* the model loader rejects larger depthwise kernels */
  for (int32_t i = 0; i < sw * pad; ++i) scratch[i] = scratch[(sh - pad) * sw + i] = zero_point;
  for (int32_t y = pad; y < sh - pad; ++y) {
    for (int32_t x = 0; x < pad; ++x)
      scratch[y * sw + x] = scratch[y * sw + sw - 1 - x] = zero_point;
  }
  for (int32_t ch = 0; ch < c; ++ch) {
    int32_t weight_sum = 0;
    for (int32_t i = 0; i < k * k; ++i) weight_sum += w[i] = p->weights[i * c + ch];
    const int32_t bias = p->bias[ch] + p->input_offset * weight_sum;
    const int8_t* src = buf + ch;
    for (int32_t ly = 0; ly < iv->h; ++ly) {
      int8_t* dst = scratch + (ly + pad) * sw + pad;
      for (int32_t lx = 0; lx < iv->w; ++lx, src += c) dst[lx] = *src;
    }
    if (!paired) {
      ChannelGeneric(&g, k, stride, scratch, w, bias, p, ch, buf);
      continue;
    }
    /* k and stride as literals, so that the loops unroll with constant offsets. */
    PackChannel(w, k, stride, (k + stride + 3) / 4, packed);
    switch (k * 4 + stride) {
      case 3 * 4 + 1:
        Channel(&g, 3, 1, scratch, w, packed, bias, p, ch, buf);
        break;
      case 3 * 4 + 2:
        Channel(&g, 3, 2, scratch, w, packed, bias, p, ch, buf);
        break;
      case 5 * 4 + 1:
        Channel(&g, 5, 1, scratch, w, packed, bias, p, ch, buf);
        break;
      case 5 * 4 + 2:
        Channel(&g, 5, 2, scratch, w, packed, bias, p, ch, buf);
        break;
      case 7 * 4 + 1:
        Channel(&g, 7, 1, scratch, w, packed, bias, p, ch, buf);
        break;
      default: /* 7 * 4 + 2 */
        Channel(&g, 7, 2, scratch, w, packed, bias, p, ch, buf);
        break;
    }
  }
}

void kilonas_depthwise_inplace_ref(const kilonas_conv_params* p, int8_t* buf,
                                   const kilonas_view* iv, const kilonas_view* ov,
                                   const kilonas_rect* r, int8_t* scratch) {
  Run(p, buf, iv, ov, r, scratch, 0);
}

void kilonas_depthwise_inplace_dsp(const kilonas_conv_params* p, int8_t* buf,
                                   const kilonas_view* iv, const kilonas_view* ov,
                                   const kilonas_rect* r, int8_t* scratch) {
  Run(p, buf, iv, ov, r, scratch, 1);
}
