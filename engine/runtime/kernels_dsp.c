/* SMLAD kernels. Inputs are widened to q15 (plus the input offset) into a scratch of two columns
 * (one per output pixel, two pixels at a time), stored interleaved so that one aligned stream
 * feeds both: for every group of four inputs x0..x3 the words are
 *   [pixel 0: (x0, x2)] [pixel 0: (x1, x3)] [pixel 1: (x0, x2)] [pixel 1: (x1, x3)]
 * which line up with SXTB16(w) = (w0, w2) and SXTB16(w ror 8) = (w1, w3) of a weight word. The
 * core computes 2 output channels x 2 pixels: per 4 inputs 2 weight loads, 4 SXTB16, 4 column
 * loads and 8 SMLAD for 16 MACs. Leftover inputs (n % 4) follow the groups as plain q15 values,
 * pixel 0's then pixel 1's. Odd pixel or channel counts reuse the core on a duplicate. */
#include "kernel_common.h"
#include "kilonas_simd.h"

/* Index (in int16 units) of input i of pixel `px` in a column pair of n inputs. */
static inline int32_t ColumnIndex(int32_t n, int32_t px, int32_t i) {
  static const int8_t kLane[4] = {0, 2, 1, 3};
  const int32_t groups = n / 4;
  if (i < groups * 4) return (i / 4) * 8 + px * 4 + kLane[i % 4];
  return groups * 8 + px * (n - groups * 4) + (i - groups * 4);
}

/* acc[0..3] (+)= (row w0 . pixel 0, row w0 . pixel 1, row w1 . pixel 0, row w1 . pixel 1). */
static inline __attribute__((always_inline)) void Core2x2(const int8_t* w0, const int8_t* w1, const int16_t* columns, int32_t n, int32_t acc[4]) {
  int32_t a00 = acc[0], a01 = acc[1], a10 = acc[2], a11 = acc[3];
  const uint32_t* col = (const uint32_t*)columns; /* the scratch is word aligned */
  const int32_t groups = n / 4;
  int32_t g = 0;
  for (; g + 1 < groups; g += 2, col += 8, w0 += 8, w1 += 8) {
    uint32_t wa = kilonas_load32(w0), wb = kilonas_load32(w1);
    uint32_t wa_e = kilonas_sxtb16(wa), wa_o = kilonas_sxtb16_ror8(wa);
    uint32_t wb_e = kilonas_sxtb16(wb), wb_o = kilonas_sxtb16_ror8(wb);
    a00 = kilonas_smlad(wa_o, col[1], kilonas_smlad(wa_e, col[0], a00));
    a01 = kilonas_smlad(wa_o, col[3], kilonas_smlad(wa_e, col[2], a01));
    a10 = kilonas_smlad(wb_o, col[1], kilonas_smlad(wb_e, col[0], a10));
    a11 = kilonas_smlad(wb_o, col[3], kilonas_smlad(wb_e, col[2], a11));
    wa = kilonas_load32(w0 + 4);
    wb = kilonas_load32(w1 + 4);
    wa_e = kilonas_sxtb16(wa);
    wa_o = kilonas_sxtb16_ror8(wa);
    wb_e = kilonas_sxtb16(wb);
    wb_o = kilonas_sxtb16_ror8(wb);
    a00 = kilonas_smlad(wa_o, col[5], kilonas_smlad(wa_e, col[4], a00));
    a01 = kilonas_smlad(wa_o, col[7], kilonas_smlad(wa_e, col[6], a01));
    a10 = kilonas_smlad(wb_o, col[5], kilonas_smlad(wb_e, col[4], a10));
    a11 = kilonas_smlad(wb_o, col[7], kilonas_smlad(wb_e, col[6], a11));
  }
  if (g < groups) {
    const uint32_t wa = kilonas_load32(w0), wb = kilonas_load32(w1);
    const uint32_t wa_e = kilonas_sxtb16(wa), wa_o = kilonas_sxtb16_ror8(wa);
    const uint32_t wb_e = kilonas_sxtb16(wb), wb_o = kilonas_sxtb16_ror8(wb);
    a00 = kilonas_smlad(wa_o, col[1], kilonas_smlad(wa_e, col[0], a00));
    a01 = kilonas_smlad(wa_o, col[3], kilonas_smlad(wa_e, col[2], a01));
    a10 = kilonas_smlad(wb_o, col[1], kilonas_smlad(wb_e, col[0], a10));
    a11 = kilonas_smlad(wb_o, col[3], kilonas_smlad(wb_e, col[2], a11));
    w0 += 4;
    w1 += 4;
  }
  const int32_t rest = n - groups * 4;
  const int16_t* t0 = columns + groups * 8;
  const int16_t* t1 = t0 + rest;
  for (int32_t i = 0; i < rest; ++i) {
    a00 += w0[i] * t0[i];
    a01 += w0[i] * t1[i];
    a10 += w1[i] * t0[i];
    a11 += w1[i] * t1[i];
  }
  acc[0] = a00;
  acc[1] = a01;
  acc[2] = a10;
  acc[3] = a11;
}

static inline void Store(const kilonas_conv_params* p, const kilonas_add_params* add, int32_t acc, int32_t oc,
                         int8_t* o) {
  const int8_t y = kilonas_finish(p, acc, oc);
  *o = add ? kilonas_add_one(add, *o, y) : y;
}

/* All output channels of a pixel pair; o1 == 0 when the second pixel is a duplicate. */
static void Outputs(const kilonas_conv_params* p, const kilonas_add_params* add, const int16_t* columns, int32_t n,
                    int8_t* o0, int8_t* o1, int32_t cout) {
  const int8_t* const weights = p->weights;
  const int32_t* const bias = p->bias;
  for (int32_t oc = 0; oc < cout; oc += 2) {
    const int32_t oc1 = oc + 1 < cout ? oc + 1 : oc; /* odd count: the last row twice */
    int32_t acc[4] = {bias[oc], bias[oc], bias[oc1], bias[oc1]};
    Core2x2(weights + oc * n, weights + oc1 * n, columns, n, acc);
    Store(p, add, acc[0], oc, o0 + oc);
    if (o1) Store(p, add, acc[1], oc, o1 + oc);
    if (oc1 != oc) {
      Store(p, add, acc[2], oc1, o0 + oc1);
      if (o1) Store(p, add, acc[3], oc1, o1 + oc1);
    }
  }
}

/* Writes the inputs of the output pixel (y, x) as column `px`. */
typedef void (*FillColumn)(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int32_t y,
                           int32_t x, int16_t* columns, int32_t n, int32_t px);

static void Run(const kilonas_conv_params* p, const kilonas_add_params* add, const int8_t* in,
                const kilonas_view* iv, int8_t* out, const kilonas_view* ov, const kilonas_rect* r,
                int16_t* scratch, int32_t n, FillColumn fill) {
  const int32_t total = r->h * r->w, rect_w = r->w, y0 = r->y0, x0 = r->x0, cout = ov->c;
  for (int32_t i = 0; i < total; i += 2) {
    const int32_t ya = y0 + i / rect_w, xa = x0 + i % rect_w;
    const int32_t j = i + 1 < total ? i + 1 : i; /* odd count: the last pixel twice */
    const int32_t yb = y0 + j / rect_w, xb = x0 + j % rect_w;
    fill(p, in, iv, ya, xa, scratch, n, 0);
    fill(p, in, iv, yb, xb, scratch, n, 1);
    Outputs(p, add, scratch, n, out + kilonas_pixel(ov, ya, xa), j != i ? out + kilonas_pixel(ov, yb, xb) : 0, cout);
  }
}

static void FillPointwise(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int32_t y,
                          int32_t x, int16_t* columns, int32_t n, int32_t px) {
  const int8_t* ip = in + kilonas_pixel(iv, y, x);
  const int32_t offset = p->input_offset, groups = n / 4;
  int16_t* dst = columns + px * 4;
  for (int32_t g = 0; g < groups; ++g, ip += 4, dst += 8) {
    dst[0] = (int16_t)(ip[0] + offset);
    dst[1] = (int16_t)(ip[2] + offset);
    dst[2] = (int16_t)(ip[1] + offset);
    dst[3] = (int16_t)(ip[3] + offset);
  }
  for (int32_t i = groups * 4; i < n; ++i, ++ip) columns[ColumnIndex(n, px, i)] = (int16_t)(*ip + offset);
}

/* im2col of one output pixel: k x k x Cin values in weight order, zero outside the tensor. */
static void FillConv(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int32_t y, int32_t x,
                     int16_t* columns, int32_t n, int32_t px) {
  const int32_t k = p->kernel, cin = iv->c;
  int32_t i = 0;
  for (int32_t ky = 0; ky < k; ++ky) {
    const int32_t iy = y * p->stride - p->pad + ky;
    for (int32_t kx = 0; kx < k; ++kx) {
      const int32_t ix = x * p->stride - p->pad + kx;
      const int inside = iy >= 0 && iy < p->in_h && ix >= 0 && ix < p->in_w;
      const int8_t* ip = inside ? in + kilonas_pixel(iv, iy, ix) : 0;
      for (int32_t c = 0; c < cin; ++c, ++i) {
        columns[ColumnIndex(n, px, i)] = inside ? (int16_t)(ip[c] + p->input_offset) : 0;
      }
    }
  }
}

void kilonas_conv2d_dsp(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                        const kilonas_view* ov, const kilonas_rect* r, int16_t* scratch) {
  Run(p, 0, in, iv, out, ov, r, scratch, p->kernel * p->kernel * iv->c, FillConv);
}

void kilonas_pointwise_dsp(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                           const kilonas_view* ov, const kilonas_rect* r, int16_t* scratch) {
  Run(p, 0, in, iv, out, ov, r, scratch, iv->c, FillPointwise);
}

void kilonas_pointwise_add_dsp(const kilonas_conv_params* p, const kilonas_add_params* a, const int8_t* in,
                               const kilonas_view* iv, int8_t* residual, const kilonas_view* rv,
                               const kilonas_rect* r, int16_t* scratch) {
  Run(p, a, in, iv, residual, rv, r, scratch, iv->c, FillPointwise);
}
