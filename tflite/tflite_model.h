// A .tflite file (TensorFlow Lite's flatbuffer, schema version 3) read into plain structs: the
// one subgraph's tensors (with their quantization and constant data), its operators (with the
// builtin options kilonas reads) and its inputs and outputs. Reading verifies the whole buffer
// with the flatbuffers Verifier before touching a field, then checks every index, shape, scale,
// zero point and buffer size; an error names the file and the tensor or operator concerned. No
// kilonas type is involved: the importer (import.h) maps this onto a Graph.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace kilonas::tflite {

// The format's tensor types that kilonas names; others keep their code.
enum class TensorType : int8_t { kFloat32 = 0, kInt32 = 2, kUint8 = 3, kInt64 = 4, kInt16 = 7, kInt8 = 9 };
std::string TensorTypeName(int8_t type);

enum class Padding : int8_t { kSame = 0, kValid = 1 };
// Fused activation of an operator, as the format numbers it.
enum class FusedActivation : int8_t { kNone = 0, kRelu = 1, kReluN1To1 = 2, kRelu6 = 3, kTanh = 4, kSignBit = 5 };

// The builtin operator codes kilonas handles (the format's numbers).
enum class Builtin : int32_t {
  kAdd = 0,
  kAveragePool2d = 1,
  kConv2d = 3,
  kDepthwiseConv2d = 4,
  kDequantize = 6,
  kFullyConnected = 9,
  kMaxPool2d = 17,
  kReshape = 22,
  kSoftmax = 25,
  kCustom = 32,
  kPad = 34,
  kMean = 40,
  kSqueeze = 43,
  kQuantize = 114,
};
// "CONV_2D"; "BUILTIN_<code>" for a code past the names kilonas knows.
std::string BuiltinName(int32_t code);

struct Tensor {
  std::string name;
  std::vector<int32_t> shape;
  int8_t type = 0;            // TensorType code
  std::vector<float> scales;  // empty: not quantized
  std::vector<int64_t> zero_points;
  int32_t quantized_dimension = 0;
  std::vector<uint8_t> data;  // constant contents; empty for activations
  bool is_variable = false;

  int64_t Elements() const;
  bool IsConstant() const { return !data.empty(); }
};

struct Operator {
  int index = 0;        // in the subgraph's execution order
  int32_t builtin = 0;  // Builtin code
  std::string custom;   // custom_code of a CUSTOM operator
  int32_t version = 1;
  std::vector<int32_t> inputs, outputs;  // tensor indices; -1 for an omitted optional input
  // Builtin options (those present for the operator's type; defaults otherwise).
  Padding padding = Padding::kSame;
  int32_t stride_w = 1, stride_h = 1, dilation_w = 1, dilation_h = 1;
  int32_t filter_w = 0, filter_h = 0;  // pools
  int32_t depth_multiplier = 1;
  FusedActivation activation = FusedActivation::kNone;
  float softmax_beta = 1.0f;
  bool keep_dims = false;         // MEAN
  bool keep_num_dims = false;     // FULLY_CONNECTED
  int32_t fc_weights_format = 0;  // FULLY_CONNECTED: 0 DEFAULT, 1 SHUFFLED4x16INT8
  std::vector<int32_t> new_shape, squeeze_dims;

  // "operator 3 (CONV_2D)", "operator 7 (CUSTOM 'TFLite_Detection_PostProcess')".
  std::string Describe() const;
};

struct Model {
  uint32_t version = 0;
  std::string description;
  std::vector<Tensor> tensors;
  std::vector<Operator> operators;
  std::vector<int32_t> inputs, outputs;
};

// Limits on what a file may declare, far above any microcontroller model: a hostile file is
// refused before it allocates.
inline constexpr int64_t kMaxTensorElements = int64_t{1} << 28;
inline constexpr int kMaxRank = 6;

// `path` names the file in errors.
core::Result<Model> ParseModel(const std::vector<uint8_t>& bytes, const std::string& path);
core::Result<Model> LoadModel(const std::string& path);

}  // namespace kilonas::tflite
