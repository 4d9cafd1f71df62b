#include "kernel_common.h"

int32_t kilonas_requantize(int32_t x, int32_t multiplier, int32_t shift) {
  return kilonas_requant(x, multiplier, shift);
}

void kilonas_channel_words(const int8_t* weights, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                           int32_t channels, int32_t per_channel, int32_t depthwise, int32_t input_offset,
                           int32_t* words) {
  for (int32_t ch = 0; ch < channels; ++ch, words += KILONAS_CHANNEL_WORDS) {
    int32_t weight_sum = 0;
    for (int32_t j = 0; j < per_channel; ++j)
      weight_sum += weights[depthwise ? j * channels + ch : ch * per_channel + j];
    words[0] = 2 * (bias[ch] + input_offset * weight_sum);
    words[1] = multiplier[ch];
    words[2] = shift[ch];
  }
}

int32_t kilonas_fast_requant(const int32_t* shift, int32_t channels, int32_t act_min, int32_t act_max,
                             int32_t max_shift) {
  int32_t fast = 1;
  for (int32_t ch = 0; ch < channels; ++ch)
    fast = fast && kilonas_takes_fast_output(shift[ch], max_shift, act_min, act_max);
  return fast;
}

int32_t kilonas_left_shift_headroom(const int8_t* weights, const int32_t* bias, int32_t channels, int32_t per_channel,
                                    int32_t depthwise) {
  const int64_t limit = (int64_t)1 << 30;
  int64_t largest = 0;
  for (int32_t ch = 0; ch < channels; ++ch) {
    int64_t sum = 0;
    for (int32_t j = 0; j < per_channel; ++j) {
      const int32_t w = weights[depthwise ? j * channels + ch : ch * per_channel + j];
      sum += w < 0 ? -w : w;
    }
    const int64_t bound = (bias[ch] < 0 ? -(int64_t)bias[ch] : bias[ch]) + 256 * sum;
    if (bound > largest) largest = bound;
  }
  int32_t s = -1;
  while (s < 30 && (largest << (s + 1)) < limit) ++s;
  return s;
}
