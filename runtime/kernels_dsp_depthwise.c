/* In-place depthwise with SMLAD. As kilonas_depthwise_inplace, one channel at a time is copied
 * into the int8 scratch with a ring of the zero point (the input offset is folded into the
 * channel's bias, so padding needs no test), and its outputs are written over the channel; 3x3
 * at stride 2 needs no copy and takes four channels per pass (kernels_dsp_depthwise_s2.c).
 *
 * The channel's taps are packed once per channel into doubled q15 pairs (doubling feeds
 * kilonas_output_fast): for every 4 taps t0..t3 of a kernel row the words (2 t0, 2 t2) and
 * (2 t1, 2 t3), missing taps 0. A window row is then read as words of 4 inputs: SXTB16 gives the
 * inputs (x0, x2) and SXTB16 ror 8 gives (x1, x3), one SMLAD each. For 3x3 at stride 1 one word
 * serves two neighbouring outputs: (x0, x2).(t0, t2) + x1 t1 for the first, (x1, x3).(t0, t2) +
 * x2 t1 for the second (SMLABB / SMLATB take single halves); 5x5 and 7x7 at stride 1 also compute
 * two neighbouring outputs per pass, sharing each tap word.
 *
 * Word reads go up to 3 bytes past a window row, hence the scratch's 4 bytes of slack
 * (core::ScratchBytes); the taps there are 0. */
#include <stddef.h>
#include <string.h>

#include "kernel_common.h"

enum { kMaxKernel = 7, kMaxGroups = (kMaxKernel + 3) / 4 };

/* Channel ch's taps as doubled pairs: row ky, group g at taps[(ky * groups + g) * 2 + {0, 1}].
 * The channel's taps lie c bytes apart in the [k][k][C] weights. */
static void PackTaps(const int8_t* weights, int32_t k, int32_t c, int32_t ch, int32_t groups, uint32_t* taps) {
  const int8_t* w = weights + ch;
  if (k == 3) { /* the common case, unrolled: (2 t0, 2 t2), (2 t1, 0) per row */
    for (int32_t ky = 0; ky < 3; ++ky, w += 3 * c, taps += 2) {
      taps[0] = kilonas_pack_pair(2 * w[0], 2 * w[2 * c]);
      taps[1] = kilonas_pack_pair(2 * w[c], 0);
    }
    return;
  }
  for (int32_t ky = 0; ky < k; ++ky) {
    for (int32_t g = 0; g < groups; ++g, taps += 2) {
      int32_t t[4] = {0, 0, 0, 0};
      const int32_t in_group = k - 4 * g < 4 ? k - 4 * g : 4;
      for (int32_t j = 0; j < in_group; ++j, w += c) t[j] = 2 * *w;
      taps[0] = kilonas_pack_pair(t[0], t[2]);
      taps[1] = kilonas_pack_pair(t[1], t[3]);
    }
  }
}

/* Doubled accumulator of the output whose window starts at `window` (row pitch sw), for a
 * kernel of K (a constant) or, with K == 0, of k. A group's last tap alone is a byte load. */
KILONAS_ALWAYS_INLINE int32_t Window(const int8_t* window, int32_t sw, const uint32_t* taps, int32_t k, int32_t acc,
                                     const int K) {
  const int32_t kk = K ? K : k, groups = (kk + 3) / 4;
#pragma GCC unroll 7
  for (int32_t ky = 0; ky < kk; ++ky, window += sw) {
#pragma GCC unroll 2
    for (int32_t g = 0; g < groups; ++g, taps += 2) {
      if (K && 4 * g + 1 == K) {
        acc = kilonas_smlabb((uint32_t)(int32_t)window[4 * g], taps[0], acc);
        continue;
      }
      const uint32_t word = kilonas_load32(window + 4 * g);
      acc = kilonas_smlad(kilonas_sxtb16(word), taps[0], acc);
      acc = kilonas_smlad(kilonas_sxtb16_ror8(word), taps[1], acc);
    }
  }
  return acc;
}

KILONAS_ALWAYS_INLINE int8_t Output(const kilonas_conv_params* p, int32_t acc2, const int32_t* words, int32_t r,
                                    int32_t round_zp, const int fast) {
  if (fast) return kilonas_output_fast(acc2, words[1], r, round_zp);
  return kilonas_finish_doubled(p, acc2, words);
}

/* Two neighbouring stride-1 outputs (the second window one byte right) for a kernel of K, each
 * tap word loaded once for both. */
KILONAS_ALWAYS_INLINE void TwoOutputs(const int8_t* window, int32_t sw, const uint32_t* taps, int32_t bias, int32_t* a0,
                                      int32_t* a1, const int K) {
  const int32_t groups = (K + 3) / 4;
  int32_t x0 = bias, x1 = bias;
#pragma GCC unroll 7
  for (int32_t ky = 0; ky < K; ++ky, window += sw) {
#pragma GCC unroll 2
    for (int32_t g = 0; g < groups; ++g, taps += 2) {
      const uint32_t t02 = taps[0];
      if (4 * g + 1 == K) {
        x0 = kilonas_smlabb((uint32_t)(int32_t)window[4 * g], t02, x0);
        x1 = kilonas_smlabb((uint32_t)(int32_t)window[4 * g + 1], t02, x1);
        continue;
      }
      const uint32_t t13 = taps[1];
      const uint32_t w0 = kilonas_load32(window + 4 * g), w1 = kilonas_load32(window + 4 * g + 1);
      x0 = kilonas_smlad(kilonas_sxtb16_ror8(w0), t13, kilonas_smlad(kilonas_sxtb16(w0), t02, x0));
      x1 = kilonas_smlad(kilonas_sxtb16_ror8(w1), t13, kilonas_smlad(kilonas_sxtb16(w1), t02, x1));
    }
  }
  *a0 = x0;
  *a1 = x1;
}

/* Two neighbouring 3x3 stride-1 outputs from the three row words of their windows. */
KILONAS_ALWAYS_INLINE void Pair3x3(const int8_t* window, int32_t sw, const uint32_t* taps, int32_t bias, int32_t* a0,
                                   int32_t* a1) {
  int32_t x0 = bias, x1 = bias;
#pragma GCC unroll 3
  for (int32_t ky = 0; ky < 3; ++ky, window += sw) {
    const uint32_t word = kilonas_load32(window);
    const uint32_t even = kilonas_sxtb16(word), odd = kilonas_sxtb16_ror8(word);
    x0 = kilonas_smlabb(odd, taps[2 * ky + 1], kilonas_smlad(even, taps[2 * ky], x0));
    x1 = kilonas_smlatb(even, taps[2 * ky + 1], kilonas_smlad(odd, taps[2 * ky], x1));
  }
  *a0 = x0;
  *a1 = x1;
}

#if KILONAS_SIMD_NATIVE
/* kernels_dsp_arm.S: pairs of fast-requantized 3x3, 5x5 and 7x7 stride-1 outputs
 * along one output row. */
typedef struct {
  int32_t sw, c, bias, multiplier, r, round_zp;
  uint32_t taps[6];       /* 3x3: the channel's tap words */
  const uint32_t* packed; /* 5x5, 7x7: the channel's PackTaps words */
  int32_t single;         /* 3x3 stride 1: one more output after the pairs */
} DwRow;
void kilonas_dw3x3_s1_pairs(const int8_t* window, int8_t* out, const int8_t* window_end, const DwRow* q);
void kilonas_dw5x5_s1_pairs(const int8_t* window, int8_t* out, const int8_t* window_end, const DwRow* q);
void kilonas_dw7x7_s1_pairs(const int8_t* window, int8_t* out, const int8_t* window_end, const DwRow* q);
_Static_assert(offsetof(DwRow, taps) == 24 && offsetof(DwRow, packed) == 48 && offsetof(DwRow, single) == 52,
               "kernels_dsp_arm.S's offsets into DwRow");
#endif

/* The outputs of channel ch over the rect, for a kernel of K (0: any). */
KILONAS_ALWAYS_INLINE void Channel(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv,
                                   const kilonas_view* ov, const kilonas_rect* r, const int8_t* scratch, int32_t sw,
                                   const uint32_t* taps, int32_t ch, const int K, const int fast) {
  const int32_t k = p->kernel, stride = p->stride, c = iv->c, zp = p->output_offset;
  const int32_t* const words = p->channels + ch * KILONAS_CHANNEL_WORDS;
  const int32_t bias = words[0], rs = fast ? -words[2] : 0, round_zp = fast ? kilonas_round_zp(rs, zp) : 0;
  const int32_t width = r->w, y_end = r->y0 + r->h, out_w = ov->w;
  const int32_t row_start = r->x0 * stride - iv->x0, out_start = r->x0 - ov->x0;
#if KILONAS_SIMD_NATIVE
  /* The 3x3 stride-1 pairs also take an odd row's last output. */
  const int32_t single = K == 3 && stride == 1 ? width % 2 : 0;
  DwRow q = {sw, c, bias, fast ? words[1] : 0, rs, round_zp, {0}, taps, single};
  if (K == 3 && fast) {
    for (int32_t i = 0; i < 6; ++i) q.taps[i] = taps[i];
  }
#endif
  for (int32_t y = r->y0; y < y_end; ++y) {
    const int8_t* window = scratch + (y * stride - iv->y0) * sw + row_start;
    int8_t* o = buf + ((y - ov->y0) * out_w + out_start) * c + ch;
    int32_t n = 0;
#if KILONAS_SIMD_NATIVE
    if (fast && width >= 2 && stride == 1 && K) {
      const int32_t pairs = width / 2;
      (K == 7   ? kilonas_dw7x7_s1_pairs
       : K == 5 ? kilonas_dw5x5_s1_pairs
                : kilonas_dw3x3_s1_pairs)(window, o, window + 2 * pairs, &q);
      n = 2 * pairs + single;
      window += 2 * pairs;
      o += 2 * pairs * c;
    }
#endif
    /* On Cortex-M the assembly took every pair of a fast channel: no C pair code there. */
    if (K && stride == 1 && !(KILONAS_SIMD_NATIVE && fast)) {
      for (; n + 1 < width; n += 2, window += 2, o += 2 * c) {
        int32_t a0, a1;
        if (K == 3) {
          Pair3x3(window, sw, taps, bias, &a0, &a1);
        } else {
          TwoOutputs(window, sw, taps, bias, &a0, &a1, K);
        }
        o[0] = Output(p, a0, words, rs, round_zp, fast);
        o[c] = Output(p, a1, words, rs, round_zp, fast);
      }
    }
    for (; n < width; ++n, window += stride, o += c) {
      *o = Output(p, Window(window, sw, taps, k, bias, K), words, rs, round_zp, fast);
    }
  }
}

typedef void (*ChannelFn)(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv, const kilonas_view* ov,
                          const kilonas_rect* r, const int8_t* scratch, int32_t sw, const uint32_t* taps, int32_t ch);

#define KILONAS_CHANNEL(name, K, fast)                                                                           \
  static void name(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv, const kilonas_view* ov,    \
                   const kilonas_rect* r, const int8_t* scratch, int32_t sw, const uint32_t* taps, int32_t ch) { \
    Channel(p, buf, iv, ov, r, scratch, sw, taps, ch, K, fast);                                                  \
  }
KILONAS_CHANNEL(Channel3Fast, 3, 1)
KILONAS_CHANNEL(Channel5Fast, 5, 1)
KILONAS_CHANNEL(Channel7Fast, 7, 1)
KILONAS_CHANNEL(ChannelAny, 0, 0) /* other kernel sizes, and the general requantization */

static ChannelFn ChannelFor(const kilonas_conv_params* p) {
  if (p->fast_requant && p->kernel == 3) return Channel3Fast;
  if (p->fast_requant && p->kernel == 5) return Channel5Fast;
  if (p->fast_requant && p->kernel == 7) return Channel7Fast;
  return ChannelAny;
}

/* Channel ch of the view into the scratch's interior (row pitch sw, `pad` of ring before it). Locals only:
 * int8 stores may alias the view. */
static void CopyChannel(const int8_t* buf, int32_t h, int32_t w, int32_t c, int32_t ch, int8_t* scratch, int32_t sw,
                        int32_t pad) {
  const uint8_t* src = (const uint8_t*)buf + ch;
  for (int32_t ly = 0; ly < h; ++ly) {
    int8_t* dst = scratch + (ly + pad) * sw + pad;
    int32_t lx = 0;
    /* Four pixels gathered into one (unaligned) word store: 4 loads, 3 ORs, 1 store. */
    for (; lx + 4 <= w; lx += 4, src += 4 * c) {
      const uint32_t word = src[0] | (uint32_t)src[c] << 8 | (uint32_t)src[2 * c] << 16 | (uint32_t)src[3 * c] << 24;
      memcpy(dst + lx, &word, 4);
    }
    for (; lx < w; ++lx, src += c) dst[lx] = (int8_t)*src;
  }
}

static int RightShiftsOnly(const kilonas_conv_params* p, int32_t ch, int32_t n) {
  for (int32_t j = ch; j < ch + n; ++j) {
    if (p->channels[j * KILONAS_CHANNEL_WORDS + 2] >= 0) return 0;
  }
  return 1;
}

void kilonas_depthwise_inplace_dsp(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv,
                                   const kilonas_view* ov, const kilonas_rect* r, int8_t* scratch) {
  const int32_t k = p->kernel, c = iv->c, pad = p->pad, groups = (k + 3) / 4;
  const int32_t h = iv->h, w = iv->w, sw = w + pad + p->pad_end;
  const ChannelFn channel = ChannelFor(p);
  uint32_t taps[kMaxKernel * kMaxGroups * 2];
  kilonas_fill_ring(scratch, h, w, pad, p->pad_end, (int8_t)(-p->input_offset));
  const int direct = p->fast_requant && k == 3 && p->stride == 2 && kilonas_dw3x3_s2_direct_safe(p, iv, ov, r);
  for (int32_t ch = 0; ch < c; ++ch) {
    if (direct && ch + 4 <= c && RightShiftsOnly(p, ch, 4)) {
      kilonas_dw3x3_s2_quad(p, buf, iv, ov, r, ch);
      ch += 3;
      continue;
    }
    CopyChannel(buf, h, w, c, ch, scratch, sw, pad);
    PackTaps(p->weights, k, c, ch, groups, taps);
    /* A channel with a left shift (kilonas_fast_requant lets a layer keep its fast path with
     * some, within headroom) takes the general requantization; rare: a multiplier of 0.5 or more. */
    const int left_shift = p->fast_requant && !RightShiftsOnly(p, ch, 1);
    (left_shift ? ChannelAny : channel)(p, buf, iv, ov, r, scratch, sw, taps, ch);
  }
}

/* That of kilonas_depthwise_inplace plus 4 bytes: the SMLAD loops read whole words. */
int64_t kilonas_depthwise_inplace_dsp_scratch(const kilonas_scratch_query* q) {
  return kilonas_depthwise_inplace_scratch(q) + 4;
}
