/* The training kernels of kilonas_train.h: reference loops in fp32. Built with -ffp-contract=off
 * (runtime/CMakeLists.txt and the firmware build) so that no compiler fuses a multiply and an
 * add: every operation rounds once, the same on the host and on the device. */
#include "kilonas_train.h"

/* The part [*lo, *hi) of a window of `kernel` rows starting at `start` that lies inside [0, size). */
static void WindowRange(int32_t start, int32_t kernel, int32_t size, int32_t* lo, int32_t* hi) {
  *lo = start < 0 ? 0 : start;
  *hi = start + kernel > size ? size : start + kernel;
}

void kilonas_conv2d_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx) {
  (void)x;
  const int32_t kh = p->kernel, kw = p->kernel_w, cin = p->in_c;
  for (int32_t oy = 0; oy < p->out_h; ++oy) {
    for (int32_t ox = 0; ox < p->out_w; ++ox) {
      const float* g = dy + (oy * p->out_w + ox) * p->out_c;
      for (int32_t o = 0; o < p->out_c; ++o) {
        const float go = g[o] * p->weight_scale[o];
        if (go == 0.0f) continue; /* gated: most of a ReLU layer's gradient */
        for (int32_t ky = 0; ky < kh; ++ky) {
          const int32_t iy = oy * p->stride - p->pad + ky;
          if (iy < 0 || iy >= p->in_h) continue;
          for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = ox * p->stride - p->pad_w + kx;
            if (ix < 0 || ix >= p->in_w) continue;
            float* d = dx + (iy * p->in_w + ix) * cin;
            const int8_t* w = p->weights + ((o * kh + ky) * kw + kx) * cin;
            for (int32_t i = 0; i < cin; ++i) d[i] += go * (float)w[i];
          }
        }
      }
    }
  }
}

void kilonas_conv2d_grad_weight(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dw) {
  const int32_t kh = p->kernel, kw = p->kernel_w, cin = p->in_c;
  for (int32_t o = 0; o < p->channels; ++o) {
    float* dwo = dw + o * kh * kw * cin;
    for (int32_t oy = 0; oy < p->out_h; ++oy) {
      for (int32_t ox = 0; ox < p->out_w; ++ox) {
        const float go = dy[(oy * p->out_w + ox) * p->out_c + o] * p->input_scale;
        if (go == 0.0f) continue;
        for (int32_t ky = 0; ky < kh; ++ky) {
          const int32_t iy = oy * p->stride - p->pad + ky;
          if (iy < 0 || iy >= p->in_h) continue;
          for (int32_t kx = 0; kx < kw; ++kx) {
            const int32_t ix = ox * p->stride - p->pad_w + kx;
            if (ix < 0 || ix >= p->in_w) continue;
            const int8_t* xp = x + (iy * p->in_w + ix) * cin;
            float* d = dwo + (ky * kw + kx) * cin;
            for (int32_t i = 0; i < cin; ++i) d[i] += go * (float)(xp[i] - p->input_zero);
          }
        }
      }
    }
  }
}

void kilonas_depthwise_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx) {
  (void)x;
  const int32_t kh = p->kernel, kw = p->kernel_w, c = p->out_c;
  for (int32_t oy = 0; oy < p->out_h; ++oy) {
    for (int32_t ox = 0; ox < p->out_w; ++ox) {
      const float* g = dy + (oy * p->out_w + ox) * c;
      for (int32_t ky = 0; ky < kh; ++ky) {
        const int32_t iy = oy * p->stride - p->pad + ky;
        if (iy < 0 || iy >= p->in_h) continue;
        for (int32_t kx = 0; kx < kw; ++kx) {
          const int32_t ix = ox * p->stride - p->pad_w + kx;
          if (ix < 0 || ix >= p->in_w) continue;
          float* d = dx + (iy * p->in_w + ix) * c;
          const int8_t* w = p->weights + (ky * kw + kx) * c;
          for (int32_t i = 0; i < c; ++i) d[i] += g[i] * p->weight_scale[i] * (float)w[i];
        }
      }
    }
  }
}

void kilonas_depthwise_grad_weight(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dw) {
  const int32_t kh = p->kernel, kw = p->kernel_w, c = p->out_c;
  for (int32_t oy = 0; oy < p->out_h; ++oy) {
    for (int32_t ox = 0; ox < p->out_w; ++ox) {
      const float* g = dy + (oy * p->out_w + ox) * c;
      for (int32_t ky = 0; ky < kh; ++ky) {
        const int32_t iy = oy * p->stride - p->pad + ky;
        if (iy < 0 || iy >= p->in_h) continue;
        for (int32_t kx = 0; kx < kw; ++kx) {
          const int32_t ix = ox * p->stride - p->pad_w + kx;
          if (ix < 0 || ix >= p->in_w) continue;
          const int8_t* xp = x + (iy * p->in_w + ix) * c;
          float* d = dw + (ky * kw + kx) * c;
          for (int32_t i = 0; i < p->channels; ++i) d[i] += g[i] * p->input_scale * (float)(xp[i] - p->input_zero);
        }
      }
    }
  }
}

void kilonas_avg_pool_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx) {
  (void)x;
  const int32_t c = p->out_c;
  for (int32_t oy = 0; oy < p->out_h; ++oy) {
    int32_t y0, y1;
    WindowRange(oy * p->stride - p->pad, p->kernel, p->in_h, &y0, &y1);
    for (int32_t ox = 0; ox < p->out_w; ++ox) {
      int32_t x0, x1;
      WindowRange(ox * p->stride - p->pad_w, p->kernel_w, p->in_w, &x0, &x1);
      const float count = (float)((y1 - y0) * (x1 - x0));
      const float* g = dy + (oy * p->out_w + ox) * c;
      for (int32_t iy = y0; iy < y1; ++iy) {
        for (int32_t ix = x0; ix < x1; ++ix) {
          float* d = dx + (iy * p->in_w + ix) * c;
          for (int32_t i = 0; i < c; ++i) d[i] += g[i] / count;
        }
      }
    }
  }
}

/* The first pixel of the window [y0, y1) x [x0, x1) holding channel i's largest value. */
static int32_t ArgMax(const kilonas_grad_params* p, const int8_t* x, int32_t y0, int32_t y1, int32_t x0, int32_t x1,
                      int32_t i) {
  int32_t best = (y0 * p->in_w + x0) * p->in_c;
  for (int32_t iy = y0; iy < y1; ++iy) {
    for (int32_t ix = x0; ix < x1; ++ix) {
      const int32_t at = (iy * p->in_w + ix) * p->in_c;
      if (x[at + i] > x[best + i]) best = at;
    }
  }
  return best + i;
}

void kilonas_max_pool_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx) {
  for (int32_t oy = 0; oy < p->out_h; ++oy) {
    int32_t y0, y1;
    WindowRange(oy * p->stride - p->pad, p->kernel, p->in_h, &y0, &y1);
    for (int32_t ox = 0; ox < p->out_w; ++ox) {
      int32_t x0, x1;
      WindowRange(ox * p->stride - p->pad_w, p->kernel_w, p->in_w, &x0, &x1);
      const float* g = dy + (oy * p->out_w + ox) * p->out_c;
      for (int32_t i = 0; i < p->out_c; ++i) dx[ArgMax(p, x, y0, y1, x0, x1, i)] += g[i];
    }
  }
}

void kilonas_global_avg_pool_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx) {
  (void)x;
  const int32_t pixels = p->in_h * p->in_w, c = p->in_c;
  const float count = (float)pixels;
  for (int32_t px = 0; px < pixels; ++px) {
    for (int32_t i = 0; i < c; ++i) dx[px * c + i] += dy[i] / count;
  }
}

void kilonas_add_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx) {
  (void)x;
  const int32_t n = p->out_h * p->out_w * p->out_c;
  for (int32_t i = 0; i < n; ++i) dx[i] += dy[i];
}

void kilonas_bias_grad(const float* dy, int32_t pixels, int32_t out_c, int32_t channels, float* db) {
  for (int32_t px = 0; px < pixels; ++px) {
    for (int32_t c = 0; c < channels; ++c) db[c] += dy[px * out_c + c];
  }
}

void kilonas_gate_make(const int8_t* y, int32_t n, int32_t lo, int32_t hi, uint8_t* bits) {
  for (int32_t i = 0; i < n; i += 8) {
    uint8_t byte = 0;
    for (int32_t b = 0; b < 8 && i + b < n; ++b) {
      if (lo < y[i + b] && y[i + b] < hi) byte |= (uint8_t)(1u << b);
    }
    bits[i >> 3] = byte;
  }
}

void kilonas_gate_apply(const uint8_t* bits, int32_t n, float* dy) {
  for (int32_t i = 0; i < n; ++i) {
    if (((bits[i >> 3] >> (i & 7)) & 1u) == 0) dy[i] = 0.0f;
  }
}

void kilonas_gate_apply_values(const int8_t* y, int32_t n, int32_t lo, int32_t hi, float* dy) {
  for (int32_t i = 0; i < n; ++i) {
    if (!(lo < y[i] && y[i] < hi)) dy[i] = 0.0f;
  }
}

float kilonas_softmax_xent_grad(const int8_t* logits, int32_t n, float scale, int32_t label, float* grad) {
  int32_t top = logits[0];
  for (int32_t i = 1; i < n; ++i) top = logits[i] > top ? logits[i] : top;
  float sum = 0.0f;
  for (int32_t i = 0; i < n; ++i) sum += kilonas_expf(scale * (float)(logits[i] - top));
  for (int32_t i = 0; i < n; ++i) {
    const float prob = kilonas_expf(scale * (float)(logits[i] - top)) / sum;
    grad[i] += i == label ? prob - 1.0f : prob;
  }
  return kilonas_logf(sum) - scale * (float)(logits[label] - top);
}

/* Round half away from zero, the magnitude first limited to `limit` (no overflow); a step that is
 * not a number moves nothing. */
static int32_t RoundLimited(float v, int32_t limit) {
  if (v != v) return 0;
  const float m = v < 0.0f ? -v : v;
  const int32_t r = m >= (float)limit ? limit : (int32_t)(m + 0.5f);
  return v < 0.0f ? -r : r;
}

/* The next value of the xorshift32 stream as a float uniform in [0, 1) (its top 24 bits, exact). */
static float NextUniform(uint32_t* state) {
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  *state = x;
  return (float)(x >> 8) * (1.0f / 16777216.0f);
}

/* floor(v + u), u the stream's next value (drawn whatever v is, so that the stream's position
 * depends on the calls alone), v limited to [-limit, limit]; 0 for a step that is not a number. */
static int32_t RoundStochastic(float v, int32_t limit, uint32_t* state) {
  const float u = NextUniform(state);
  if (v != v) return 0;
  const float m = v < (float)-limit ? (float)-limit : (v > (float)limit ? (float)limit : v);
  const float t = m + u;
  const int32_t toward_zero = (int32_t)t;
  return (float)toward_zero > t ? toward_zero - 1 : toward_zero;
}

void kilonas_sgd_weights(int8_t* w, const float* dw, const float* step, int32_t channels, int32_t per_channel,
                         int32_t channel_stride, int32_t value_stride, uint32_t* rounding) {
  for (int32_t c = 0; c < channels; ++c) {
    for (int32_t j = 0; j < per_channel; ++j) {
      const int32_t at = c * channel_stride + j * value_stride;
      const float d = step[c] * dw[at];
      const int32_t v = w[at] - (rounding ? RoundStochastic(d, 255, rounding) : RoundLimited(d, 255));
      w[at] = (int8_t)(v < -127 ? -127 : (v > 127 ? 127 : v));
    }
  }
}

void kilonas_sgd_bias(int32_t* b, const float* db, const float* step, int32_t channels, int32_t limit) {
  for (int32_t c = 0; c < channels; ++c) {
    const int64_t v = (int64_t)b[c] - RoundLimited(step[c] * db[c], 1 << 30);
    b[c] = (int32_t)(v < -limit ? -limit : (v > limit ? limit : v));
  }
}

uint32_t kilonas_fnv1a(const void* data, int32_t n, uint32_t hash) {
  const uint8_t* bytes = (const uint8_t*)data;
  for (int32_t i = 0; i < n; ++i) hash = (hash ^ bytes[i]) * 16777619u;
  return hash;
}

typedef union {
  float f;
  uint32_t u;
} FloatBits;

float kilonas_expf(float x) {
  if (!(x >= -87.0f)) return 0.0f; /* below the smallest normal float's log (or not a number) */
  if (x > 88.0f) x = 88.0f;
  const float t = x * 1.44269504f; /* x / ln 2 */
  const int32_t n = (int32_t)(t < 0.0f ? t - 0.5f : t + 0.5f);
  /* r = x - n ln 2 in two parts (the high one exact in n x it): |r| <= ln 2 / 2. */
  const float r = (x - (float)n * 0.693145752f) - (float)n * 1.42860677e-6f;
  float e = 1.0f / 5040.0f;
  e = e * r + 1.0f / 720.0f;
  e = e * r + 1.0f / 120.0f;
  e = e * r + 1.0f / 24.0f;
  e = e * r + 1.0f / 6.0f;
  e = e * r + 0.5f;
  e = e * r + 1.0f;
  e = e * r + 1.0f;
  FloatBits scale;
  scale.u = (uint32_t)(n + 127) << 23; /* 2^n, n in [-126, 127] */
  return e * scale.f;
}

float kilonas_logf(float x) {
  FloatBits v;
  v.f = x;
  int32_t e = (int32_t)((v.u >> 23) & 0xffu) - 127;
  v.u = (v.u & 0x007fffffu) | 0x3f800000u; /* the mantissa m in [1, 2) */
  float m = v.f;
  if (m > 1.41421356f) {
    m *= 0.5f;
    e += 1;
  }
  /* log m = 2 atanh(t), t = (m - 1) / (m + 1), |t| < 0.172. */
  const float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
  float s = 1.0f / 9.0f;
  s = s * t2 + 1.0f / 7.0f;
  s = s * t2 + 1.0f / 5.0f;
  s = s * t2 + 1.0f / 3.0f;
  s = s * t2 + 1.0f;
  return (float)e * 0.693147181f + 2.0f * t * s;
}
