/* Stride-2 3x3 in-place depthwise straight from the HWC buffer, four channels per pass, for
 * kilonas_depthwise_inplace_dsp. At stride 2 the outputs, written in order over the buffer, only
 * overwrite input pixels no later output reads (an output's pixel index grows half as fast as
 * its window's), so the channel copy of the stride-1 scheme is not needed; the caller checks it
 * for the call's views (kilonas_dw3x3_s2_direct_safe) and otherwise takes the copy path.
 *
 * One word load gives a pixel's four channels c0..c3; SXTB16 splits it into (c0, c2) and, with
 * ROR 8, (c1, c3). Two neighbouring pixels' halves are paired per channel by PKHBT / PKHTB, so
 * one SMLAD takes the first two taps of a kernel row and SMLABB / SMLATT the third. Pixels
 * outside the tensor read as the zero point (whose product the bias's folded input offset
 * cancels). */
#include <stddef.h>
#include <string.h>

#include "kernel_common.h"

/* Four channels' constants and the walk's pitches. Per kernel row: the doubled tap pairs
 * (w0, w1) of c0..c3, then the third taps (w2 of c0, w2 of c2) and (w2 of c1, w2 of c3).
 * kernels_dsp_arm.S reads it by these offsets (asserted below). */
typedef struct {
  int32_t c, pitch, step; /* pixel and row pitch of the input; window advance: 2c - 2 pitch */
  int32_t bias[4];
  uint32_t taps[3][6];
  int32_t requant[4][3]; /* multiplier, r, round_zp */
} Quad;

/* The doubled taps of channels ch..ch + 3: t[ky][kx][j]. */
typedef struct {
  int32_t t[3][3][4];
} QuadTaps;

/* The quad's doubled taps (unpacked, for PackQuadTaps and DroppedTaps), pitches, biases and
 * requantization constants. */
static void QuadConstants(const kilonas_conv_params* p, const kilonas_view* iv, int32_t ch, QuadTaps* taps, Quad* q) {
  const int32_t c = iv->c;
  q->c = c;
  q->pitch = iv->w * c;
  q->step = 2 * c - 2 * q->pitch;
  for (int32_t ky = 0; ky < 3; ++ky) {
    for (int32_t kx = 0; kx < 3; ++kx) {
      for (int32_t j = 0; j < 4; ++j) taps->t[ky][kx][j] = 2 * p->weights[(ky * 3 + kx) * c + ch + j]; /* [3][3][C] */
    }
  }
  for (int32_t j = 0; j < 4; ++j) {
    const int32_t* words = p->channels + (ch + j) * KILONAS_CHANNEL_WORDS;
    q->bias[j] = words[0];
    q->requant[j][0] = words[1];
    q->requant[j][1] = -words[2];
    q->requant[j][2] = kilonas_round_zp(-words[2], p->output_offset);
  }
}

static void PackQuadTaps(const QuadTaps* taps, Quad* q) {
  const int32_t(*t)[3][4] = taps->t;
  for (int32_t ky = 0; ky < 3; ++ky) {
    for (int32_t j = 0; j < 4; ++j) q->taps[ky][j] = kilonas_pack_pair(t[ky][0][j], t[ky][1][j]);
    q->taps[ky][4] = kilonas_pack_pair(t[ky][2][0], t[ky][2][2]);
    q->taps[ky][5] = kilonas_pack_pair(t[ky][2][1], t[ky][2][3]);
  }
}

/* A window with one row or column in the padding is read from one row or column further in, with
 * the taps moved the other way: `rows` = +1 when its first row is in the padding (it reads one row
 * later), -1 when its last row is (one row earlier), 0 otherwise; `cols` likewise. The taps that
 * fall off the window multiply the zero point: `dropped` (zero point x their sum per channel) goes
 * into the bias. The row or column the moved window reads instead gets zero taps. Done on the
 * packed words (per row: the pairs (t0, t1) of c0..c3, then (t2 of c0, t2 of c2), (t2 of c1, t2 of
 * c3)): a form costs about a hundred instructions, which small maps need to pay back. */
KILONAS_FOR_SIZE static void ShiftedQuad(const Quad* q, const int32_t* dropped, int32_t rows, int32_t cols, Quad* d) {
  *d = *q;
  if (rows == 1) {
    memcpy(d->taps[0], q->taps[1], 2 * sizeof q->taps[0]);
    memset(d->taps[2], 0, sizeof q->taps[0]);
  } else if (rows == -1) {
    memcpy(d->taps[1], q->taps[0], 2 * sizeof q->taps[0]);
    memset(d->taps[0], 0, sizeof q->taps[0]);
  }
  for (int32_t ky = 0; ky < 3 && cols; ++ky) {
    uint32_t* w = d->taps[ky];
    if (cols == 1) { /* (t1, t2), third 0 */
      const uint32_t third02 = w[4], third13 = w[5];
      w[0] = (w[0] >> 16) | (third02 << 16);
      w[1] = (w[1] >> 16) | (third13 << 16);
      w[2] = (w[2] >> 16) | (third02 & 0xFFFF0000u);
      w[3] = (w[3] >> 16) | (third13 & 0xFFFF0000u);
      w[4] = w[5] = 0;
    } else { /* (0, t0), third t1 */
      w[4] = (w[0] >> 16) | (w[2] & 0xFFFF0000u);
      w[5] = (w[1] >> 16) | (w[3] & 0xFFFF0000u);
      for (int32_t j = 0; j < 4; ++j) w[j] <<= 16;
    }
  }
  for (int32_t j = 0; j < 4; ++j) d->bias[j] += dropped[j];
}

/* Zero point x the sum of the taps a move drops, per channel: the row (ky = 0 when rows = 1,
 * 2 when -1) and the column, their shared tap once. */
KILONAS_FOR_SIZE static void DroppedTaps(const QuadTaps* taps, int32_t zero_point, int32_t rows, int32_t cols,
                                         int32_t* dropped) {
  const int32_t(*t)[3][4] = taps->t;
  const int32_t ky = rows == 1 ? 0 : 2, kx = cols == 1 ? 0 : 2;
  for (int32_t j = 0; j < 4; ++j) {
    int32_t sum = 0;
    if (rows) sum += t[ky][0][j] + t[ky][1][j] + t[ky][2][j];
    if (cols) sum += t[0][kx][j] + t[1][kx][j] + t[2][kx][j];
    if (rows && cols) sum -= t[ky][kx][j];
    dropped[j] = zero_point * sum;
  }
}

/* How the window starting at row (column) i0 of an axis of n is read: 0 inside the tensor; +1 or
 * -1 as ShiftedQuad moves it, where the moved window lies in the view (first row view0, view_n
 * rows); kGathered (BorderOutput) otherwise. */
enum { kGathered = 2 };
static int32_t AxisShift(int32_t i0, int32_t n, int32_t view0, int32_t view_n) {
  if (i0 >= 0 && i0 + 2 < n) return 0;
  const int32_t s = i0 == -1 ? 1 : (i0 + 2 == n ? -1 : kGathered);
  if (s == kGathered || n < 3 || i0 + s < view0 || i0 + s + 2 >= view0 + view_n) return kGathered;
  return s;
}

/* The first row (column) the window at i0 reads: moved, or its first inside the tensor. */
static int32_t FirstRead(int32_t i0, int32_t shift) { return shift == kGathered ? (i0 < 0 ? 0 : i0) : i0 + shift; }

#if KILONAS_SIMD_NATIVE
/* kernels_dsp_arm.S: the outputs from `out` to `out_end` (c apart) of windows inside the tensor,
 * the first at `window` (its top-left pixel, channel ch). */
void kilonas_dw3x3_s2_quads(const int8_t* window, int8_t* out, const int8_t* out_end, const Quad* q);
_Static_assert(offsetof(Quad, bias) == 12 && offsetof(Quad, taps) == 28 && offsetof(Quad, requant) == 100,
               "kernels_dsp_arm.S's offsets into Quad");
#endif

/* One kernel row: the words of its three pixels (four channels each) into the accumulators. */
KILONAS_ALWAYS_INLINE void QuadRow(uint32_t p0, uint32_t p1, uint32_t p2, const uint32_t* t, int32_t* a) {
  const uint32_t e0 = kilonas_sxtb16(p0), o0 = kilonas_sxtb16_ror8(p0);
  const uint32_t e1 = kilonas_sxtb16(p1), o1 = kilonas_sxtb16_ror8(p1);
  const uint32_t e2 = kilonas_sxtb16(p2), o2 = kilonas_sxtb16_ror8(p2);
  a[0] = kilonas_smlabb(e2, t[4], kilonas_smlad(kilonas_pkhbt16(e0, e1), t[0], a[0]));
  a[1] = kilonas_smlabb(o2, t[5], kilonas_smlad(kilonas_pkhbt16(o0, o1), t[1], a[1]));
  a[2] = kilonas_smlatt(e2, t[4], kilonas_smlad(kilonas_pkhtb16(e1, e0), t[2], a[2]));
  a[3] = kilonas_smlatt(o2, t[5], kilonas_smlad(kilonas_pkhtb16(o1, o0), t[3], a[3]));
}

KILONAS_FOR_SIZE int32_t kilonas_dw3x3_s2_direct_safe(const kilonas_conv_params* p, const kilonas_view* iv,
                                                      const kilonas_view* ov, const kilonas_rect* r) {
  /* Backwards over the outputs: every output's pixel must precede the first pixel that the
   * window of every later output reads (kilonas_dw3x3_s2_quad's walk). */
  int32_t first_later = INT32_MAX;
  for (int32_t y = r->y0 + r->h - 1; y >= r->y0; --y) {
    const int32_t iy = p->stride * y - p->pad;
    const int32_t row = FirstRead(iy, AxisShift(iy, p->in_h, iv->y0, iv->h));
    for (int32_t x = r->x0 + r->w - 1; x >= r->x0; --x) {
      const int32_t written = (y - ov->y0) * ov->w + (x - ov->x0);
      if (written >= first_later) return 0;
      const int32_t ix = p->stride * x - p->pad;
      const int32_t first = (row - iv->y0) * iv->w + (FirstRead(ix, AxisShift(ix, p->in_w, iv->x0, iv->w)) - iv->x0);
      if (first < first_later) first_later = first;
    }
  }
  return 1;
}

/* The outputs from `out` to `out_end` (q->c apart), the first window at `window`, every window
 * inside its buffer. */
static void Quads(const int8_t* window, int8_t* out, const int8_t* out_end, const Quad* q) {
#if KILONAS_SIMD_NATIVE
  kilonas_dw3x3_s2_quads(window, out, out_end, q);
#else
  for (; out != out_end; window += 2 * q->c, out += q->c) {
    int32_t a[4] = {q->bias[0], q->bias[1], q->bias[2], q->bias[3]};
    const int8_t* s = window;
    for (int32_t ky = 0; ky < 3; ++ky, s += q->pitch) {
      QuadRow(kilonas_load32(s), kilonas_load32(s + q->c), kilonas_load32(s + 2 * q->c), q->taps[ky], a);
    }
    for (int32_t j = 0; j < 4; ++j) {
      out[j] = kilonas_output_fast(a[j], q->requant[j][0], q->requant[j][1], q->requant[j][2]);
    }
  }
#endif
}

/* Output (y, x), its window partly outside the tensor: the window gathered into a 3 x 3 x 4
 * buffer, the zero point outside, and computed by Quads with `border` (q with that buffer's
 * pitches). */
static void BorderOutput(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv, const kilonas_view* ov,
                         int32_t ch, int32_t y, int32_t x, const Quad* border) {
  const uint32_t zero_point4 = (uint8_t)(-p->input_offset) * 0x01010101u;
  const int32_t c = iv->c, ix0 = 2 * x - p->pad;
  int32_t column[3]; /* byte offset of the window's pixel kx in its row, or -1 outside */
  for (int32_t kx = 0; kx < 3; ++kx) {
    const int32_t ix = ix0 + kx;
    column[kx] = ix >= 0 && ix < p->in_w ? (ix - iv->x0) * c + ch : -1;
  }
  uint32_t window[9];
  for (int32_t ky = 0; ky < 3; ++ky) {
    const int32_t iy = 2 * y - p->pad + ky;
    const int row_inside = iy >= 0 && iy < p->in_h;
    const int32_t row = (iy - iv->y0) * iv->w * c;
    for (int32_t kx = 0; kx < 3; ++kx) {
      window[ky * 3 + kx] = row_inside && column[kx] >= 0 ? kilonas_load32(buf + row + column[kx]) : zero_point4;
    }
  }
  int8_t* o = buf + kilonas_pixel(ov, y, x) + ch;
  Quads((const int8_t*)window, o, o + 4, border);
}

/* The forms of a quad: forms[rows + 1][cols + 1] for AxisShift's moves, made on first use. */
typedef struct {
  const QuadTaps* taps;
  int32_t zero_point;
  Quad forms[3][3];
  uint16_t made; /* bit 3 (rows + 1) + cols + 1 */
} QuadForms;

KILONAS_FOR_SIZE static const Quad* Form(QuadForms* f, int32_t rows, int32_t cols) {
  Quad* form = &f->forms[rows + 1][cols + 1];
  const uint16_t bit = (uint16_t)(1u << (3 * (rows + 1) + cols + 1));
  if (!(f->made & bit)) {
    int32_t dropped[4];
    DroppedTaps(f->taps, f->zero_point, rows, cols, dropped);
    ShiftedQuad(&f->forms[1][1], dropped, rows, cols, form);
    f->made |= bit;
  }
  return form;
}

void kilonas_dw3x3_s2_quad(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv, const kilonas_view* ov,
                           const kilonas_rect* r, int32_t ch) {
  QuadTaps t;
  QuadForms f;
  Quad* const q = &f.forms[1][1];
  QuadConstants(p, iv, ch, &t, q);
  PackQuadTaps(&t, q);
  f.taps = &t;
  f.zero_point = -p->input_offset;
  f.made = 1u << 4;
  Quad border = *q;
  border.c = 4;
  border.pitch = 12;
  /* The columns before inside1 whose windows start inside the tensor lie inside it:
   * 2x - pad + 2 < in_w. */
  const int32_t x_end = r->x0 + r->w, y_end = r->y0 + r->h;
  const int32_t last = p->in_w - 3 + p->pad; /* 2x at most this */
  int32_t inside1 = last < 0 ? 0 : last / 2 + 1;
  inside1 = inside1 > x_end ? x_end : inside1;
  for (int32_t y = r->y0; y < y_end; ++y) {
    const int32_t iy = 2 * y - p->pad, rows = AxisShift(iy, p->in_h, iv->y0, iv->h);
    int32_t x = r->x0;
    while (x < x_end) {
      int8_t* o = buf + kilonas_pixel(ov, y, x) + ch;
      const int32_t ix = 2 * x - p->pad, cols = rows == kGathered ? kGathered : AxisShift(ix, p->in_w, iv->x0, iv->w);
      if (cols == kGathered || (rows && cols)) { /* a corner: one output, cheaper gathered than a form */
        BorderOutput(p, buf, iv, ov, ch, y, x, &border);
        ++x;
      } else if (cols == 0) { /* a run of windows inside along the row */
        Quads(buf + kilonas_pixel(iv, iy + rows, ix) + ch, o, o + (inside1 - x) * q->c, Form(&f, rows, 0));
        x = inside1;
      } else {
        Quads(buf + kilonas_pixel(iv, iy + rows, ix + cols) + ch, o, o + q->c, Form(&f, rows, cols));
        ++x;
      }
    }
  }
}
