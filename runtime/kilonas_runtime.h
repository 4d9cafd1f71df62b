/* kilonas int8 inference runtime: C99, no heap, no globals. Activations are int8 HWC with an
 * asymmetric zero point; weights int8 per-output-channel symmetric; bias int32; requantization
 * by a fixed-point multiplier and shift per output channel (TFLite rounding).
 *
 * Every spatial kernel reads and writes through views so that the same code runs on whole
 * tensors and on the patches of patch-based execution: a view is a buffer holding the pixels
 * [y0, y0 + h) x [x0, x0 + w) of a tensor, and a rect is the block of output pixels to compute
 * (in tensor coordinates). Pixels outside the tensor are zero padding. */
#ifndef KILONAS_RUNTIME_H_
#define KILONAS_RUNTIME_H_

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
  int32_t h, w, c; /* extent of the buffer */
  int32_t y0, x0;  /* tensor coordinates of its first pixel */
} kilonas_view;

typedef struct {
  int32_t y0, x0, h, w; /* output pixels to compute, tensor coordinates */
} kilonas_rect;

/* Per output channel words of the optimized kernels (kilonas_conv_params.channels). */
#define KILONAS_CHANNEL_WORDS 3
/* The most negative shift (right shift 22) the optimized kernels' fast requantization takes: it
 * folds the output zero point into the rounding term, zp x 2^r, which must stay inside int32. */
#define KILONAS_MIN_FAST_SHIFT (-22)

typedef struct {
  const int8_t* weights;     /* conv [Cout][kh][kw][Cin]; pointwise/FC [Cout][Cin]; depthwise [k][k][C] */
  const int32_t* bias;       /* [Cout] (reference kernels) */
  const int32_t* multiplier; /* [Cout] (reference kernels) */
  const int32_t* shift;      /* [Cout], > 0 left, < 0 right (reference kernels) */
  /* Optimized kernels: per output channel {2 x (bias + input_offset x sum of the channel's
   * weights), multiplier, shift}. The input offset folded into the bias lets them multiply raw
   * inputs (zero padding becomes the zero point), and the doubled accumulator feeds SMMULR. */
  const int32_t* channels;
  int32_t fast_requant;        /* kilonas_fast_requant */
  int32_t input_offset;        /* minus the input zero point */
  int32_t output_offset;       /* the output zero point */
  int32_t act_min, act_max;    /* fused activation clamp, quantized */
  int32_t kernel, stride, pad; /* rows; columns too except in general convolutions (kernel_w, pad_w) */
  int32_t kernel_w, pad_w;     /* columns of a conv2d window (10x8 in keyword spotting); set for every op */
  int32_t pad_end;             /* padding after the last row and column of a square window (TensorFlow's SAME
                                  pads a stride-2 window on an even map 0 before, 1 after); the in-place
                                  depthwise kernels' padded copy has this ring there */
  int32_t in_h, in_w;          /* the whole input tensor: where zero padding starts */
} kilonas_conv_params;

typedef struct {
  int32_t input1_offset, input2_offset, output_offset;
  int32_t input1_multiplier, input1_shift;
  int32_t input2_multiplier, input2_shift;
  int32_t output_multiplier, output_shift;
  int32_t left_shift;
  int32_t act_min, act_max;
} kilonas_add_params;

typedef struct {
  int32_t input_offset, output_offset;
  int32_t multiplier, shift; /* input scale / (output scale x pixels) */
} kilonas_pool_params;

/* Scratch sizes, one function beside each kernel that needs scratch (CMSIS-NN's
 * *_get_buffer_size pattern): the bytes the kernel uses besides its input and output tensors when
 * it reads an in_h x in_w x in_c input region (a whole tensor or a patch) with a kernel x kernel
 * window padded by `pad`. The memory planner reserves exactly this much in the arena; the kernel
 * list (kilonas_kernels.inc) names each kernel's function. */
typedef struct {
  int32_t kernel, pad; /* rows (and columns of a square window) */
  int32_t in_h, in_w, in_c;
  int32_t kernel_w; /* columns */
  int32_t pad_end;  /* after the last row and column (kilonas_conv_params.pad_end) */
} kilonas_scratch_query;
typedef int64_t (*kilonas_scratch_fn)(const kilonas_scratch_query* q);
int64_t kilonas_no_scratch(const kilonas_scratch_query* q);
/* Output pixels per block of kilonas_conv2d_dsp (it and its scratch size ask this): 4 for an
 * im2col window (kernel^2 x Cin values) of at most 64, where the per-channel work is large next to
 * the MACs and the scratch small, else 2. */
int32_t kilonas_conv2d_dsp_block_pixels(int64_t window);
int64_t kilonas_conv2d_dsp_scratch(const kilonas_scratch_query* q);
int64_t kilonas_pointwise_dsp_scratch(const kilonas_scratch_query* q);
int64_t kilonas_pointwise_wide_dsp_scratch(const kilonas_scratch_query* q);
int64_t kilonas_depthwise_inplace_scratch(const kilonas_scratch_query* q);
int64_t kilonas_depthwise_inplace_dsp_scratch(const kilonas_scratch_query* q);
int64_t kilonas_fully_connected_dsp_scratch(const kilonas_scratch_query* q);

/* TFLite's MultiplyByQuantizedMultiplier: round(x * multiplier * 2^shift / 2^31). */
int32_t kilonas_requantize(int32_t x, int32_t multiplier, int32_t shift);

/* The optimized kernels' channel words (kilonas_conv_params.channels) of a layer: weights as in
 * kilonas_conv_params (depthwise: [k][k][C], per_channel = k x k), input_offset minus the input
 * zero point; writes channels x KILONAS_CHANNEL_WORDS words. Run at export, not on the device. */
void kilonas_channel_words(const int8_t* weights, const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
                           int32_t channels, int32_t per_channel, int32_t depthwise, int32_t input_offset,
                           int32_t* words);

/* kilonas_conv_params.fast_requant of a layer: 1 when every shift is at most max_shift and at
 * least KILONAS_MIN_FAST_SHIFT and the activation range is the whole int8 range, which lets the
 * optimized kernels requantize with SMMLAR and SSAT. max_shift is -1 (right shifts only) but for
 * the in-place depthwise kernel, which sends left-shifted channels through its general channel
 * loop and keeps the rest of the layer fast: there it is the layer's kilonas_left_shift_headroom
 * (a conservative bound: the general loop would not need it). Run at export. */
int32_t kilonas_fast_requant(const int32_t* shift, int32_t channels, int32_t act_min, int32_t act_max,
                             int32_t max_shift);

/* The largest s >= 0 with (|bias| + 256 x sum|w|) x 2^s < 2^30 in every channel (weights as in
 * kilonas_channel_words), or -1 when some channel's bound itself reaches 2^30 (the model loader
 * rejects such layers): a doubled accumulator shifted left by s stays inside int32. */
int32_t kilonas_left_shift_headroom(const int8_t* weights, const int32_t* bias, int32_t channels, int32_t per_channel,
                                    int32_t depthwise);

/* ---- Portable reference kernels (always built). Scratch: none. ---- */
void kilonas_conv2d_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                        const kilonas_view* ov, const kilonas_rect* r);
void kilonas_pointwise_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                           const kilonas_view* ov, const kilonas_rect* r);
void kilonas_depthwise_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                           const kilonas_view* ov, const kilonas_rect* r);
/* In place: the output view lies over the input buffer `buf`; channel by channel the input
 * channel is copied with a zero-point ring of `pad` into scratch
 * ((iv->h + 2 pad) x (iv->w + 2 pad) bytes), then that channel's outputs are written. */
void kilonas_depthwise_inplace(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv,
                               const kilonas_view* ov, const kilonas_rect* r, int8_t* scratch);
/* Element-wise add over the rect; the operands may be laid out in different views (inside a
 * patch the residual can hold a larger region). out may equal a or b when their views match. */
void kilonas_add(const kilonas_add_params* p, const int8_t* a, const kilonas_view* av, const int8_t* b,
                 const kilonas_view* bv, int8_t* out, const kilonas_view* ov, const kilonas_rect* r);
/* Pointwise conv whose output y is added to `residual` in place: residual = add(residual, y),
 * bit-identical to kilonas_pointwise_ref followed by kilonas_add (input1 = residual). */
void kilonas_pointwise_add_ref(const kilonas_conv_params* p, const kilonas_add_params* a, const int8_t* in,
                               const kilonas_view* iv, int8_t* residual, const kilonas_view* rv, const kilonas_rect* r);
/* TFLite's int8 average pool over a kernel x kernel window at `stride`, padded by `pad`: the mean
 * of the raw values of the window's pixels inside the input (padding not counted), rounded half
 * away from zero, clamped to [act_min, act_max]. The output keeps the input's scale and zero
 * point, so no offsets or multipliers are read. */
void kilonas_avg_pool_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                          const kilonas_view* ov, const kilonas_rect* r);
/* TFLite's int8 max pool, windows as kilonas_avg_pool_ref: the largest raw value of the window's
 * pixels inside the input, clamped to [act_min, act_max]; the output keeps the input's
 * quantization. */
void kilonas_max_pool_ref(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                          const kilonas_view* ov, const kilonas_rect* r);
void kilonas_global_avg_pool(const kilonas_pool_params* p, const int8_t* in, int32_t pixels, int32_t channels,
                             int8_t* out);
void kilonas_fully_connected(const kilonas_conv_params* p, const int8_t* in, int32_t in_n, int8_t* out, int32_t out_n);
/* TFLite's int8 softmax over the `depth` values of each of `rows` rows (kernels_softmax.c):
 * p->multiplier and p->shift (a left shift, 0..30) scale input differences by beta x input scale
 * into Q5.26 (TFLite's PreprocessSoftmaxScaling); the output has scale 1/256 and zero point
 * p->output_offset (-128). Depth at most 4095 (the sum of exps is Q12.19 in int32). */
void kilonas_softmax(const kilonas_pool_params* p, const int8_t* in, int32_t rows, int32_t depth, int8_t* out);

/* ---- SMLAD kernels (DSP extension of Cortex-M4/M7; portable emulation elsewhere). ---- */
/* Scratch: kilonas_conv2d_dsp_block_pixels(window) x kernel^2 x Cin int16 (im2col columns), then kernel^2 x Cin int8
 * rounded up to 4. */
void kilonas_conv2d_dsp(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                        const kilonas_view* ov, const kilonas_rect* r, int16_t* scratch);
/* Scratch: 4 x Cin int16 (four input pixels). */
void kilonas_pointwise_dsp(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                           const kilonas_view* ov, const kilonas_rect* r, int16_t* scratch);
/* Reads `channels` and weights in the layout kilonas_fully_connected_dsp_constants makes.
 * Scratch: in_n / 4 x 8 bytes (two words per group of four inputs). */
void kilonas_fully_connected_dsp(const kilonas_conv_params* p, const int8_t* in, int32_t in_n, int8_t* out,
                                 int32_t out_n, int16_t* scratch);
/* Turns a fully connected layer's plain weights ([rows][in_n]) and channel words
 * (kilonas_channel_words) into the ones kilonas_fully_connected_dsp reads, in place: in every whole
 * group of four inputs of a row, weights 0 and 2 are stored plus 128 (the byte xor 0x80), and
 * the row's doubled bias gains 2 x 128 x the row's weights 1 and 3 of those groups. Run at
 * export, not on the device. */
void kilonas_fully_connected_dsp_constants(int8_t* weights, int32_t rows, int32_t in_n, int32_t* words);
/* In place like kilonas_depthwise_inplace (kernel <= 7), reading `channels`. Scratch: that of
 * kilonas_depthwise_inplace plus 4 bytes. */
void kilonas_depthwise_inplace_dsp(const kilonas_conv_params* p, int8_t* buf, const kilonas_view* iv,
                                   const kilonas_view* ov, const kilonas_rect* r, int8_t* scratch);
void kilonas_pointwise_add_dsp(const kilonas_conv_params* p, const kilonas_add_params* a, const int8_t* in,
                               const kilonas_view* iv, int8_t* residual, const kilonas_view* rv, const kilonas_rect* r,
                               int16_t* scratch);

/* Pointwise with wide weights (kernels_dsp_wide.c), faster for twice the weights' flash: reads
 * `weights` (int16, word aligned) and `channels` (KILONAS_WIDE_RECORD words per channel) in the
 * layout kilonas_pointwise_wide_constants makes. Scratch: 2 x ceil(Cin / 4) x 8 bytes (two
 * pixels' q15 inputs). */
#define KILONAS_WIDE_RECORD 4
void kilonas_pointwise_wide_dsp(const kilonas_conv_params* p, const int8_t* in, const kilonas_view* iv, int8_t* out,
                                const kilonas_view* ov, const kilonas_rect* r, int16_t* scratch);
void kilonas_pointwise_add_wide_dsp(const kilonas_conv_params* p, const kilonas_add_params* a, const int8_t* in,
                                    const kilonas_view* iv, int8_t* residual, const kilonas_view* rv,
                                    const kilonas_rect* r, int16_t* scratch);
/* A pointwise layer's plain weights ([cout][cin]) and channel words (kilonas_channel_words) as
 * the wide kernel reads them: `wide` gets cout x ceil(cin / 4) x 4 int16, the weights doubled
 * (per pair of channels and group of four inputs, each channel's (w0, w2), (w1, w3); an odd last
 * channel alone; the last group zero-padded), `records` cout x KILONAS_WIDE_RECORD words {multiplier, -shift, round_zp
 * (kilonas_round_zp when `fast`, else 0), doubled bias}. Run at export, not on the device. */
void kilonas_pointwise_wide_constants(const int8_t* weights, int32_t cout, int32_t cin, const int32_t* words,
                                      int32_t output_offset, int32_t fast, int16_t* wide, int32_t* records);

#ifdef __cplusplus
}
#endif

#endif /* KILONAS_RUNTIME_H_ */
