/* Portable reference kernels: the definition of every result; the SMLAD kernels and the
 * generated firmware must match them bit for bit. */
#include "kernel_common.h"

/* A kh x kw window with `pad_w` columns of padding before (`p->pad` rows). Inlined into both
 * branches of kilonas_conv2d_ref: the square one, with kh and kw one value, is the code the
 * latency LUTs were profiled with. */
static inline __attribute__((always_inline)) void Conv2dWindow(const kilonas_conv_params* p, const int8_t* in,
                                                               const kilonas_view* iv, int8_t* out,
                                                               const kilonas_view* ov, const kilonas_rect* r,
                                                               int32_t kh, int32_t kw, int32_t pad_w) {
  const int32_t cin = iv->c;
  for (int32_t y = r->y0; y < r->y0 + r->h; ++y) {
    for (int32_t x = r->x0; x < r->x0 + r->w; ++x) {
      int8_t* o = out + kilonas_pixel(ov, y, x);
      for (int32_t oc = 0; oc < ov->c; ++oc) {
        int32_t acc = p->bias[oc];
        for (int32_t ky = 0; ky < kh; ++ky) {
          const int32_t iy = y * p->stride - p->pad + ky;
          if (iy < 0 || iy >= p->in_h) continue;
          for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = x * p->stride - pad_w + kx;
            if (ix < 0 || ix >= p->in_w) continue;
            const int8_t* ip = in + kilonas_pixel(iv, iy, ix);
            const int8_t* wp = p->weights + ((oc * kh + ky) * kw + kx) * cin;
            for (int32_t ic = 0; ic < cin; ++ic) acc += (ip[ic] + p->input_offset) * wp[ic];
          }
        }
        o[oc] = kilonas_finish(p, acc, oc);
      }
    }
  }
}

void kilonas_conv2d_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                        const kilonas_view* ov, const kilonas_rect* r) {
  if (p->kernel_w == p->kernel && p->pad_w == p->pad) {
    Conv2dWindow(p, in, iv, out, ov, r, p->kernel, p->kernel, p->pad);
  } else {
    Conv2dWindow(p, in, iv, out, ov, r, p->kernel, p->kernel_w, p->pad_w);
  }
}

/* Pointwise conv; with `add`, the result is added to `out` (the residual) in place. */
static void PointwiseRef(const kilonas_conv_params* p, const kilonas_add_params* add, const int8_t* in,
                         const kilonas_view* iv, int8_t* out, const kilonas_view* ov, const kilonas_rect* r) {
  const int32_t cin = iv->c;
  for (int32_t y = r->y0; y < r->y0 + r->h; ++y) {
    for (int32_t x = r->x0; x < r->x0 + r->w; ++x) {
      const int8_t* ip = in + kilonas_pixel(iv, y, x);
      int8_t* o = out + kilonas_pixel(ov, y, x);
      for (int32_t oc = 0; oc < ov->c; ++oc) {
        const int8_t* wp = p->weights + oc * cin;
        int32_t acc = p->bias[oc];
        for (int32_t ic = 0; ic < cin; ++ic) acc += (ip[ic] + p->input_offset) * wp[ic];
        const int8_t value = kilonas_finish(p, acc, oc);
        o[oc] = add ? kilonas_add_one(add, o[oc], value) : value;
      }
    }
  }
}

void kilonas_pointwise_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                           const kilonas_view* ov, const kilonas_rect* r) {
  PointwiseRef(p, 0, in, iv, out, ov, r);
}

void kilonas_pointwise_add_ref(const kilonas_conv_params* p, const kilonas_add_params* a, const int8_t* in,
                               const kilonas_view* iv, int8_t* residual, const kilonas_view* rv,
                               const kilonas_rect* r) {
  PointwiseRef(p, a, in, iv, residual, rv, r);
}

void kilonas_depthwise_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                           const kilonas_view* ov, const kilonas_rect* r) {
  const int32_t k = p->kernel, c = iv->c;
  for (int32_t y = r->y0; y < r->y0 + r->h; ++y) {
    for (int32_t x = r->x0; x < r->x0 + r->w; ++x) {
      int8_t* o = out + kilonas_pixel(ov, y, x);
      for (int32_t ch = 0; ch < c; ++ch) {
        int32_t acc = p->bias[ch];
        for (int32_t ky = 0; ky < k; ++ky) {
          const int32_t iy = y * p->stride - p->pad + ky;
          if (iy < 0 || iy >= p->in_h) continue;
          for (int32_t kx = 0; kx < k; ++kx) {
            const int32_t ix = x * p->stride - p->pad + kx;
            if (ix < 0 || ix >= p->in_w) continue;
            acc += (in[kilonas_pixel(iv, iy, ix) + ch] + p->input_offset) * p->weights[(ky * k + kx) * c + ch];
          }
        }
        o[ch] = kilonas_finish(p, acc, ch);
      }
    }
  }
}

void kilonas_depthwise_inplace(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv,
                               const kilonas_view* ov, const kilonas_rect* r, int8_t* scratch) {
  const int32_t k = p->kernel, c = iv->c, pad = p->pad, pad_end = p->pad_end, stride = p->stride;
  const int32_t sw = iv->w + pad + pad_end;
  const int32_t view_y0 = iv->y0, view_x0 = iv->x0, out_y0 = ov->y0, out_x0 = ov->x0, out_w = ov->w;
  const int32_t y_begin = r->y0, y_end = r->y0 + r->h, x_begin = r->x0, width = r->w;
  const int8_t zero_point = (int8_t)(-p->input_offset);
  int32_t w[49];
  /* The ring around the copied channel holds the zero point, so every window lies inside the
   * scratch and sum(w * (x + offset)) = sum(w * x) + offset * sum(w) with no bounds checks. */
  kilonas_fill_ring(scratch, iv->h, iv->w, pad, pad_end, zero_point);
  for (int32_t ch = 0; ch < c; ++ch) {
    int32_t weight_sum = 0;
    for (int32_t i = 0; i < k * k; ++i) weight_sum += w[i] = p->weights[i * c + ch];
    const int32_t bias = p->bias[ch] + p->input_offset * weight_sum;
    const int8_t* src = buf + ch;
    for (int32_t ly = 0; ly < iv->h; ++ly) {
      int8_t* dst = scratch + (ly + pad) * sw + pad;
      for (int32_t lx = 0; lx < iv->w; ++lx, src += c) dst[lx] = *src;
    }
    /* Locals only in the loop: stores through int8_t* may alias the parameter structs. */
    const int32_t multiplier = p->multiplier[ch], shift = p->shift[ch];
    const int32_t out_offset = p->output_offset, act_min = p->act_min, act_max = p->act_max;
    const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
    for (int32_t y = y_begin; y < y_end; ++y) {
      const int8_t* window = scratch + (y * stride - view_y0) * sw + x_begin * stride - view_x0;
      int8_t* o = buf + ((y - out_y0) * out_w + (x_begin - out_x0)) * c + ch;
      for (int32_t n = 0; n < width; ++n, o += c, window += stride) {
        int32_t acc = bias;
        if (k == 3) {
          const int8_t* row = window;
          acc += w0 * row[0] + w1 * row[1] + w2 * row[2];
          row += sw;
          acc += w3 * row[0] + w4 * row[1] + w5 * row[2];
          row += sw;
          acc += w6 * row[0] + w7 * row[1] + w8 * row[2];
        } else {
          const int8_t* row = window;
          for (int32_t ky = 0; ky < k; ++ky, row += sw) {
            for (int32_t kx = 0; kx < k; ++kx) acc += w[ky * k + kx] * row[kx];
          }
        }
        *o = kilonas_clamp8(kilonas_requant(acc, multiplier, shift) + out_offset, act_min, act_max);
      }
    }
  }
}

void kilonas_add(const kilonas_add_params* p, const int8_t* a, const kilonas_view* av, const int8_t* b,
                 const kilonas_view* bv, int8_t* out, const kilonas_view* ov, const kilonas_rect* r) {
  for (int32_t y = r->y0; y < r->y0 + r->h; ++y) {
    for (int32_t x = r->x0; x < r->x0 + r->w; ++x) {
      const int8_t* pa = a + kilonas_pixel(av, y, x);
      const int8_t* pb = b + kilonas_pixel(bv, y, x);
      int8_t* po = out + kilonas_pixel(ov, y, x);
      for (int32_t ch = 0; ch < ov->c; ++ch) po[ch] = kilonas_add_one(p, pa[ch], pb[ch]);
    }
  }
}

/* The rows (or columns) [begin, end) of a k-wide window starting at `first` inside an input of n:
 * the pixels a pool reads (padding is not counted). */
static inline void WindowInside(int32_t first, int32_t k, int32_t n, int32_t* begin, int32_t* end) {
  *begin = first < 0 ? 0 : first;
  *end = first + k > n ? n : first + k;
}

void kilonas_avg_pool_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                          const kilonas_view* ov, const kilonas_rect* r) {
  const int32_t k = p->kernel, stride = p->stride, pad = p->pad;
  for (int32_t y = r->y0; y < r->y0 + r->h; ++y) {
    int32_t y_begin, y_end, x_begin, x_end;
    WindowInside(y * stride - pad, k, p->in_h, &y_begin, &y_end);
    for (int32_t x = r->x0; x < r->x0 + r->w; ++x) {
      WindowInside(x * stride - pad, k, p->in_w, &x_begin, &x_end);
      const int32_t count = (y_end - y_begin) * (x_end - x_begin);
      int8_t* o = out + kilonas_pixel(ov, y, x);
      for (int32_t ch = 0; ch < ov->c; ++ch) {
        int32_t sum = 0;
        for (int32_t iy = y_begin; iy < y_end; ++iy) {
          for (int32_t ix = x_begin; ix < x_end; ++ix) sum += in[kilonas_pixel(iv, iy, ix) + ch];
        }
        const int32_t mean = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
        o[ch] = kilonas_clamp8(mean, p->act_min, p->act_max);
      }
    }
  }
}

/* TFLite's int8 max pool: the largest value of the window's pixels inside the input, clamped. */
void kilonas_max_pool_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                          const kilonas_view* ov, const kilonas_rect* r) {
  const int32_t k = p->kernel, stride = p->stride, pad = p->pad;
  for (int32_t y = r->y0; y < r->y0 + r->h; ++y) {
    int32_t y_begin, y_end, x_begin, x_end;
    WindowInside(y * stride - pad, k, p->in_h, &y_begin, &y_end);
    for (int32_t x = r->x0; x < r->x0 + r->w; ++x) {
      WindowInside(x * stride - pad, k, p->in_w, &x_begin, &x_end);
      int8_t* o = out + kilonas_pixel(ov, y, x);
      for (int32_t ch = 0; ch < ov->c; ++ch) {
        int32_t largest = -128;
        for (int32_t iy = y_begin; iy < y_end; ++iy) {
          for (int32_t ix = x_begin; ix < x_end; ++ix) {
            const int32_t v = in[kilonas_pixel(iv, iy, ix) + ch];
            largest = v > largest ? v : largest;
          }
        }
        o[ch] = kilonas_clamp8(largest, p->act_min, p->act_max);
      }
    }
  }
}

void kilonas_global_avg_pool(const kilonas_pool_params* p, const int8_t* in, int32_t pixels, int32_t channels,
                             int8_t* out) {
  for (int32_t ch = 0; ch < channels; ++ch) {
    int32_t acc = 0;
    for (int32_t i = 0; i < pixels; ++i) acc += in[i * channels + ch] + p->input_offset;
    out[ch] = kilonas_clamp8(kilonas_requant(acc, p->multiplier, p->shift) + p->output_offset, -128, 127);
  }
}

void kilonas_fully_connected(const kilonas_conv_params* p, const int8_t* in, int32_t in_n, int8_t* out, int32_t out_n) {
  for (int32_t o = 0; o < out_n; ++o) {
    const int8_t* w = p->weights + o * in_n;
    int32_t acc = p->bias[o];
    for (int32_t i = 0; i < in_n; ++i) acc += (in[i] + p->input_offset) * w[i];
    out[o] = kilonas_finish(p, acc, o);
  }
}

int64_t kilonas_no_scratch(const kilonas_scratch_query* q) {
  (void)q;
  return 0;
}

/* One input channel with its zero-point ring: `pad` before, `pad_end` after. */
int64_t kilonas_depthwise_inplace_scratch(const kilonas_scratch_query* q) {
  return (int64_t)(q->in_h + q->pad + q->pad_end) * (q->in_w + q->pad + q->pad_end);
}
