/* SMLAD kernels: inputs widened to q15 (plus the input offset) into a scratch column per output
 * pixel, two pixels at a time, reordered in groups of four (x0, x2, x1, x3) so that one
 * SXTB16 of a weight word (w0, w2) and one of the word rotated by 8 (w1, w3) line up with two
 * column words. Each inner step does 8 MACs with 4 SMLAD per pair of output channels. */
#include "kernel_common.h"
#include "kilonas_simd.h"

/* Swaps elements 1 and 2 of every full group of four. */
static void Reorder(int16_t* col, int32_t n) {
  for (int32_t i = 0; i + 3 < n; i += 4) {
    const int16_t t = col[i + 1];
    col[i + 1] = col[i + 2];
    col[i + 2] = t;
  }
}

/* Dot products of weight row `w` (n int8) with one or two reordered columns. */
static void Dot(const int8_t* w, const int16_t* c0, const int16_t* c1, int32_t n, int32_t* acc0, int32_t* acc1) {
  int32_t a0 = *acc0, a1 = *acc1;
  int32_t i = 0;
  for (; i + 3 < n; i += 4) {
    const uint32_t word = kilonas_load32(w + i);
    const uint32_t even = kilonas_sxtb16(word), odd = kilonas_sxtb16(kilonas_ror8(word));
    a0 = kilonas_smlad(even, kilonas_load32(c0 + i), a0);
    a0 = kilonas_smlad(odd, kilonas_load32(c0 + i + 2), a0);
    if (c1) {
      a1 = kilonas_smlad(even, kilonas_load32(c1 + i), a1);
      a1 = kilonas_smlad(odd, kilonas_load32(c1 + i + 2), a1);
    }
  }
  for (; i < n; ++i) {
    a0 += w[i] * c0[i];
    if (c1) a1 += w[i] * c1[i];
  }
  *acc0 = a0;
  *acc1 = a1;
}

/* Output channels of one or two pixels from their columns; with `add`, added to `out` in place.
 * Two output channels share each column load. */
static void Outputs(const kilonas_conv_params* p, const kilonas_add_params* add, const int16_t* c0,
                    const int16_t* c1, int32_t n, int8_t* o0, int8_t* o1, int32_t cout) {
  /* Locals: stores through int8_t* may alias the parameter structs. */
  const int8_t* const weights = p->weights;
  const int32_t* const bias = p->bias;
  int32_t oc = 0;
  for (; oc + 1 < cout; oc += 2) {
    const int8_t* w0 = weights + oc * n;
    const int8_t* w1 = w0 + n;
    int32_t a00 = bias[oc], a01 = bias[oc], a10 = bias[oc + 1], a11 = bias[oc + 1];
    int32_t i = 0;
    for (; i + 3 < n; i += 4) {
      const uint32_t x0a = kilonas_load32(c0 + i), x0b = kilonas_load32(c0 + i + 2);
      const uint32_t wa = kilonas_load32(w0 + i), wb = kilonas_load32(w1 + i);
      const uint32_t wa_even = kilonas_sxtb16(wa), wa_odd = kilonas_sxtb16(kilonas_ror8(wa));
      const uint32_t wb_even = kilonas_sxtb16(wb), wb_odd = kilonas_sxtb16(kilonas_ror8(wb));
      a00 = kilonas_smlad(wa_odd, x0b, kilonas_smlad(wa_even, x0a, a00));
      a10 = kilonas_smlad(wb_odd, x0b, kilonas_smlad(wb_even, x0a, a10));
      if (c1) {
        const uint32_t x1a = kilonas_load32(c1 + i), x1b = kilonas_load32(c1 + i + 2);
        a01 = kilonas_smlad(wa_odd, x1b, kilonas_smlad(wa_even, x1a, a01));
        a11 = kilonas_smlad(wb_odd, x1b, kilonas_smlad(wb_even, x1a, a11));
      }
    }
    for (; i < n; ++i) {
      a00 += w0[i] * c0[i];
      a10 += w1[i] * c0[i];
      if (c1) {
        a01 += w0[i] * c1[i];
        a11 += w1[i] * c1[i];
      }
    }
    const int8_t y00 = kilonas_finish(p, a00, oc), y10 = kilonas_finish(p, a10, oc + 1);
    o0[oc] = add ? kilonas_add_one(add, o0[oc], y00) : y00;
    o0[oc + 1] = add ? kilonas_add_one(add, o0[oc + 1], y10) : y10;
    if (c1) {
      const int8_t y01 = kilonas_finish(p, a01, oc), y11 = kilonas_finish(p, a11, oc + 1);
      o1[oc] = add ? kilonas_add_one(add, o1[oc], y01) : y01;
      o1[oc + 1] = add ? kilonas_add_one(add, o1[oc + 1], y11) : y11;
    }
  }
  if (oc < cout) {
    int32_t a0 = p->bias[oc], a1 = p->bias[oc];
    Dot(p->weights + oc * n, c0, c1, n, &a0, &a1);
    const int8_t y0 = kilonas_finish(p, a0, oc);
    o0[oc] = add ? kilonas_add_one(add, o0[oc], y0) : y0;
    if (c1) {
      const int8_t y1 = kilonas_finish(p, a1, oc);
      o1[oc] = add ? kilonas_add_one(add, o1[oc], y1) : y1;
    }
  }
}

/* Walks the rect's pixels two by two; `fill` writes the column of one pixel. */
typedef void (*FillColumn)(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int32_t y,
                           int32_t x, int16_t* col);

static void Run(const kilonas_conv_params* p, const kilonas_add_params* add, const int8_t* in,
                const kilonas_view* iv, int8_t* out, const kilonas_view* ov, const kilonas_rect* r,
                int16_t* scratch, int32_t n, FillColumn fill) {
  int16_t* c0 = scratch;
  int16_t* c1 = scratch + n;
  const int32_t total = r->h * r->w;
  for (int32_t i = 0; i < total; i += 2) {
    const int32_t y0 = r->y0 + i / r->w, x0 = r->x0 + i % r->w;
    fill(p, in, iv, y0, x0, c0);
    Reorder(c0, n);
    int8_t* o0 = out + kilonas_pixel(ov, y0, x0);
    if (i + 1 < total) {
      const int32_t y1 = r->y0 + (i + 1) / r->w, x1 = r->x0 + (i + 1) % r->w;
      fill(p, in, iv, y1, x1, c1);
      Reorder(c1, n);
      Outputs(p, add, c0, c1, n, o0, out + kilonas_pixel(ov, y1, x1), ov->c);
    } else {
      Outputs(p, add, c0, 0, n, o0, 0, ov->c);
    }
  }
}

static void FillPointwise(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int32_t y,
                          int32_t x, int16_t* col) {
  const int8_t* ip = in + kilonas_pixel(iv, y, x);
  for (int32_t i = 0; i < iv->c; ++i) col[i] = (int16_t)(ip[i] + p->input_offset);
}

/* im2col of one output pixel: k x k x Cin values in weight order, zero outside the tensor. */
static void FillConv(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int32_t y, int32_t x,
                     int16_t* col) {
  const int32_t k = p->kernel, cin = iv->c;
  for (int32_t ky = 0; ky < k; ++ky) {
    const int32_t iy = y * p->stride - p->pad + ky;
    for (int32_t kx = 0; kx < k; ++kx) {
      const int32_t ix = x * p->stride - p->pad + kx;
      int16_t* dst = col + (ky * k + kx) * cin;
      if (iy < 0 || iy >= p->in_h || ix < 0 || ix >= p->in_w) {
        for (int32_t i = 0; i < cin; ++i) dst[i] = 0;
      } else {
        const int8_t* ip = in + kilonas_pixel(iv, iy, ix);
        for (int32_t i = 0; i < cin; ++i) dst[i] = (int16_t)(ip[i] + p->input_offset);
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
