// A .tflite model (tflite_model.h) as kilonas's int8 engine::Model: its operators mapped onto
// the Graph IR, its constants as the engine's kernels take them, requantization computed from
// the stored scales as TensorFlow Lite Micro computes it (double multiplier to Q31 multiplier
// and shift), so that the engine's reference kernels compute what TFLite Micro's compute.
//
// Imported today (docs/tflite.md has the table): CONV_2D (any window up to 15x15, equal strides,
// dilation 1), DEPTHWISE_CONV_2D (depth multiplier 1, or any multiplier on a one-channel input,
// which is a convolution), FULLY_CONNECTED, AVERAGE_POOL_2D, MAX_POOL_2D, SOFTMAX, ADD, MEAN over rows and
// columns, PAD (folded into the convolution reading it), RESHAPE and SQUEEZE where they keep the
// pixel layout (views), QUANTIZE / DEQUANTIZE at the edges (FloatEdges). Activations int8 per tensor, weights int8 per
// channel or per tensor with zero point 0, bias int32; fused NONE, RELU or RELU6. Every other operator is refused in
// one error that lists each with its index and type.
#pragma once

#include <string>

#include "engine/model.h"
#include "tflite/tflite_model.h"

namespace kilonas::tflite {

struct ImportOptions {
  // Import operators 0..through_operator only, its output the graph's output (-1: the whole
  // model). For looking at the part of a model kilonas runs while an operator after it is not
  // supported yet: an explicit cut, never a silent one.
  int through_operator = -1;
  engine::ExecutionConfig execution;
};

// Whether the importer takes operators of this builtin code.
bool IsImported(int32_t builtin);

// A float32 input quantized by the model's first operator (QUANTIZE) and a float32 output
// dequantized by its last (DEQUANTIZE), as TensorFlow Lite's converter writes models whose
// caller gives and takes floats. ImportModel imports the int8 body between them: its input
// tensor's scale and zero point are the QUANTIZE's, its output's the DEQUANTIZE's; the caller
// converts at the edges (nas_run does). A QUANTIZE or DEQUANTIZE anywhere else is refused.
struct FloatEdges {
  bool input = false, output = false;
};
FloatEdges FloatEdgesOf(const Model& model);
// The float input as the edge's QUANTIZE makes it the int8 body's input: round(x / scale) + zero
// point, clamped, in float arithmetic as TFLite's kernel computes it (engine::QuantizeInput
// divides in double, which can round a tie the other way).
std::vector<int8_t> QuantizeAtInputEdge(const engine::Model& body, const std::vector<float>& input);

core::Result<engine::Model> ImportModel(const Model& model, const std::string& path, const ImportOptions& options = {});

}  // namespace kilonas::tflite
