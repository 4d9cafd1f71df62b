/* kilonas on-device training kernels (kernels_train.c): the backward pass of an int8 network in
 * fp32, as MCUNetV3's engine computes it. The forward pass stays int8 (kilonas_runtime.h); a
 * gradient is a float per value of a tensor, in real units (the loss's derivative by the
 * dequantized value), HWC like the activations. Weights are read as int8 with a float scale per
 * output channel (their real value is w x scale), forward inputs as int8 with their scale and
 * zero point.
 *
 * Every kernel adds into its output (the caller zeroes a gradient buffer before its first
 * writer): a tensor read by two ops (a residual) sums both gradients, and a batch sums its
 * samples' weight gradients. Only +, -, *, / and conversions of IEEE single precision, in a fixed
 * order, with no contraction into fused multiply-adds (the file is built -ffp-contract=off): the
 * host and the firmware, with or without an FPU, compute the same bits. */
#ifndef KILONAS_TRAIN_H_
#define KILONAS_TRAIN_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  const int8_t* weights;     /* as the forward kernel reads them (kilonas_conv_params.weights) */
  const float* weight_scale; /* [out_c]: a weight's real value is weights x weight_scale */
  float input_scale;         /* the forward input's quantization */
  int32_t input_zero;
  int32_t kernel, kernel_w, stride, pad, pad_w; /* the forward window (rows; columns) */
  int32_t in_h, in_w, in_c, out_h, out_w, out_c;
  int32_t channels; /* weight gradients: of the first `channels` output channels only */
} kilonas_grad_params;

/* Every backward kernel takes (params, x: the op's forward input, int8, dy: the gradient at its
 * output, out: where it adds its result); the input-gradient kernels other than the max pool's do
 * not read x (it may be null). */

/* ---- Input gradients: dx += (d output / d input)^T dy. ---- */
/* General, pointwise and fully connected (in 1 x 1 x in_c, the flattened input) convolutions. */
void kilonas_conv2d_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx);
void kilonas_depthwise_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx);
/* Average pooling, padding not counted (kilonas_avg_pool_ref's windows). */
void kilonas_avg_pool_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx);
/* Max pooling: each output's gradient goes to the first pixel of its window (rows, then
 * columns) holding the window's largest input value. */
void kilonas_max_pool_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx);
void kilonas_global_avg_pool_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx);
/* An add passes its output gradient to each operand unchanged. */
void kilonas_add_grad_input(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dx);

/* ---- Weight gradients: dw += d loss / d real weight, for the first p->channels channels, in
 * the weights' layout; x is the forward input (int8). ---- */
void kilonas_conv2d_grad_weight(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dw);
void kilonas_depthwise_grad_weight(const kilonas_grad_params* p, const int8_t* x, const float* dy, float* dw);

/* db[c] += sum of dy over the pixels, for c < channels of `out_c` per pixel. */
void kilonas_bias_grad(const float* dy, int32_t pixels, int32_t out_c, int32_t channels, float* db);

/* The gate of a fused ReLU / ReLU6 (MCUNetV3's binary mask): bit i (LSB first) of `bits` is set
 * where lo < y[i] < hi, the int8 output strictly inside the activation's clamp. Made in the
 * forward pass; applied to the output gradient, it zeroes where the activation clamped. */
void kilonas_gate_make(const int8_t* y, int32_t n, int32_t lo, int32_t hi, uint8_t* bits);
void kilonas_gate_apply(const uint8_t* bits, int32_t n, float* dy);
/* The same gate read from the int8 output itself, where the backward pass keeps it whole. */
void kilonas_gate_apply_values(const int8_t* y, int32_t n, int32_t lo, int32_t hi, float* dy);

/* Softmax cross-entropy on int8 logits of scale `scale` (the zero point cancels): grad[i] += p_i -
 * [i == label]; returns the loss, -log p_label. */
float kilonas_softmax_xent_grad(const int8_t* logits, int32_t n, float scale, int32_t label, float* grad);

/* ---- SGD without momentum on the int8 parameters. ---- */
/* Per output channel c < channels (its `per_channel` weights at stride `channel_stride`, each
 * `value_stride` apart: [Cout][...] is (per, per, 1), depthwise [k][k][C] is (k x k, 1, C)):
 * w -= round(step[c] x dw), clamped to [-127, 127]. step[c] is the learning rate over the batch
 * times the gradient's scaling (QAS: 1 / weight scale; without: the weight scale). `rounding`
 * null: rounded half away from zero, so a step below half a unit is lost; else stochastic
 * rounding, floor(step x dw + u) with u uniform in [0, 1) from the xorshift32 state it points to
 * (one value drawn per weight, in this order), unbiased: small steps add up on average. The host
 * and the firmware start from KILONAS_SGD_ROUNDING_SEED and draw the same stream. */
#define KILONAS_SGD_ROUNDING_SEED 0x2545F491u
void kilonas_sgd_weights(int8_t* w, const float* dw, const float* step, int32_t channels, int32_t per_channel,
                         int32_t channel_stride, int32_t value_stride, uint32_t* rounding);
/* b[c] -= round(step[c] x db[c]), clamped to [-limit, limit] (the accumulator bound the engine's
 * kernels need). */
void kilonas_sgd_bias(int32_t* b, const float* db, const float* step, int32_t channels, int32_t limit);

/* FNV-1a over n bytes, continuing `hash` (2166136261 to start): the trained parameters' checksum
 * the host and the firmware both print. */
uint32_t kilonas_fnv1a(const void* data, int32_t n, uint32_t hash);

/* exp(x) for x <= 0 and log(x) for x >= 1 with +, -, * and /: the same bits on every target
 * (libm's differ between the host and newlib). Relative error below 2e-7. */
float kilonas_expf(float x);
float kilonas_logf(float x);

#ifdef __cplusplus
}
#endif

#endif /* KILONAS_TRAIN_H_ */
