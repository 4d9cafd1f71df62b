// The .tflite reader on TFLite Micro's example models (their operators, shapes and options as
// the files declare them) and on hostile files: truncated, bit-flipped, and built with indices,
// shapes, scales and zero points out of range. Every hostile file gets an error naming the
// file and what is wrong, never a crash (the sanitizer build runs this test).
#include "tflite/tflite_model.h"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <random>

#include "core/file_io.h"
#include "tests/support/source_path.h"
#include "tflite/schema_generated.h"

namespace kilonas::tflite {
namespace {

std::string DataPath(const std::string& name) { return kilonas::testing::SourcePath("tests/tflite/data/" + name); }

std::vector<uint8_t> Bytes(const std::string& name) {
  const core::Result<std::string> text = core::ReadTextFile(DataPath(name));
  EXPECT_TRUE(text.ok()) << name;
  return text.ok() ? std::vector<uint8_t>(text.value().begin(), text.value().end()) : std::vector<uint8_t>();
}

std::map<std::string, int> OperatorCounts(const Model& m) {
  std::map<std::string, int> counts;
  for (const Operator& op : m.operators) ++counts[BuiltinName(op.builtin)];
  return counts;
}

TEST(TfliteModel, ReadsPersonDetectAsItsReadmeDescribesIt) {
  const core::Result<Model> m = LoadModel(DataPath("person_detect.tflite"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(m.value().version, 3u);
  EXPECT_EQ(OperatorCounts(m.value()),
            (std::map<std::string, int>{
                {"AVERAGE_POOL_2D", 1}, {"CONV_2D", 14}, {"DEPTHWISE_CONV_2D", 14}, {"RESHAPE", 1}, {"SOFTMAX", 1}}));
  ASSERT_EQ(m.value().inputs.size(), 1u);
  const Tensor& input = m.value().tensors[static_cast<size_t>(m.value().inputs[0])];
  EXPECT_EQ(input.shape, (std::vector<int32_t>{1, 96, 96, 1}));
  EXPECT_EQ(input.type, static_cast<int8_t>(TensorType::kInt8));
  ASSERT_EQ(input.scales.size(), 1u);
  const Tensor& output = m.value().tensors[static_cast<size_t>(m.value().outputs[0])];
  EXPECT_EQ(output.shape, (std::vector<int32_t>{1, 2}));
  // The first layer: a 3x3 stride-2 depthwise convolution with depth multiplier 8 on the one
  // input channel (a convolution to 8 channels), SAME padding, per-channel weights [1][3][3][8].
  const Operator& first = m.value().operators.front();
  EXPECT_EQ(first.builtin, static_cast<int32_t>(Builtin::kDepthwiseConv2d));
  EXPECT_EQ(first.depth_multiplier, 8);
  EXPECT_EQ(first.stride_w, 2);
  EXPECT_EQ(first.stride_h, 2);
  EXPECT_EQ(first.padding, Padding::kSame);
  EXPECT_EQ(first.activation, FusedActivation::kRelu6);
  const Tensor& weights = m.value().tensors[static_cast<size_t>(first.inputs[1])];
  EXPECT_EQ(weights.shape, (std::vector<int32_t>{1, 3, 3, 8}));
  EXPECT_EQ(weights.scales.size(), 8u);
  EXPECT_EQ(weights.quantized_dimension, 3);
  EXPECT_EQ(weights.data.size(), 72u);
  const Tensor& bias = m.value().tensors[static_cast<size_t>(first.inputs[2])];
  EXPECT_EQ(bias.type, static_cast<int8_t>(TensorType::kInt32));
  EXPECT_EQ(bias.data.size(), 8u * 4u);
  for (const Operator& op : m.value().operators) {
    if (op.builtin == static_cast<int32_t>(Builtin::kAveragePool2d)) {
      EXPECT_EQ(op.filter_w, 3);
      EXPECT_EQ(op.filter_h, 3);
      EXPECT_EQ(op.padding, Padding::kValid);
    }
  }
}

TEST(TfliteModel, ReadsMicroSpeechAsItsReadmeDescribesIt) {
  const core::Result<Model> m = LoadModel(DataPath("micro_speech_quantized.tflite"));
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(
      OperatorCounts(m.value()),
      (std::map<std::string, int>{{"DEPTHWISE_CONV_2D", 1}, {"FULLY_CONNECTED", 1}, {"RESHAPE", 1}, {"SOFTMAX", 1}}));
  const Tensor& input = m.value().tensors[static_cast<size_t>(m.value().inputs[0])];
  EXPECT_EQ(input.shape, (std::vector<int32_t>{1, 1960}));
  const Tensor& output = m.value().tensors[static_cast<size_t>(m.value().outputs[0])];
  EXPECT_EQ(output.shape, (std::vector<int32_t>{1, 4}));
  for (const Operator& op : m.value().operators) {
    if (op.builtin == static_cast<int32_t>(Builtin::kDepthwiseConv2d)) {
      EXPECT_EQ(op.depth_multiplier, 8);
    }
  }
}

TEST(TfliteModel, TruncatedAndBitFlippedFilesAreErrorsNamingTheFile) {
  const std::vector<uint8_t> good = Bytes("micro_speech_quantized.tflite");
  ASSERT_FALSE(good.empty());
  for (size_t size = 0; size < good.size(); size += 97) {
    const core::Result<Model> m = ParseModel(std::vector<uint8_t>(good.begin(), good.begin() + size), "cut.tflite");
    ASSERT_FALSE(m.ok()) << "truncated to " << size << " bytes";
    EXPECT_EQ(m.error().message.rfind("cut.tflite: ", 0), 0u) << m.error().message;
  }
  std::mt19937 rng(7);
  int refused = 0;
  for (int trial = 0; trial < 3000; ++trial) {
    std::vector<uint8_t> bytes = good;
    for (int flips = 0; flips < 3; ++flips) {
      bytes[std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng)] ^=
          static_cast<uint8_t>(1u << std::uniform_int_distribution<int>(0, 7)(rng));
    }
    const core::Result<Model> m = ParseModel(bytes, "flipped.tflite");  // an error or a model, never a crash
    if (!m.ok()) {
      ++refused;
      EXPECT_EQ(m.error().message.rfind("flipped.tflite: ", 0), 0u) << m.error().message;
    }
  }
  EXPECT_GT(refused, 0);
}

// A one-operator model (CONV_2D on an int8 1x4x4x1 input with a 1x1 weight and int32 bias),
// changed by `change` before it is finished.
struct Parts {
  std::vector<int32_t> input_shape = {1, 4, 4, 1};
  std::vector<float> input_scale = {0.5f};
  std::vector<int64_t> input_zero_point = {-3};
  uint32_t weights_buffer = 1;
  std::vector<int32_t> conv_inputs = {0, 1, 2};
  uint32_t opcode_index = 0;
  uint32_t version = 3;
  size_t weight_bytes = 1;
};

std::vector<uint8_t> Build(const std::function<void(Parts&)>& change) {
  Parts p;
  change(p);
  flatbuffers::FlatBufferBuilder b;
  auto quant = [&](const std::vector<float>& scale, const std::vector<int64_t>& zp) {
    return fb::CreateQuantizationParametersDirect(b, nullptr, nullptr, &scale, &zp);
  };
  const std::vector<int32_t> weight_shape = {1, 1, 1, 1}, bias_shape = {1};
  std::vector<flatbuffers::Offset<fb::Tensor>> tensors = {
      fb::CreateTensorDirect(b, &p.input_shape, fb::TensorType_INT8, 0, "input",
                             quant(p.input_scale, p.input_zero_point)),
      fb::CreateTensorDirect(b, &weight_shape, fb::TensorType_INT8, p.weights_buffer, "weights", quant({0.1f}, {0})),
      fb::CreateTensorDirect(b, &bias_shape, fb::TensorType_INT32, 2, "bias", quant({0.05f}, {0})),
      fb::CreateTensorDirect(b, &p.input_shape, fb::TensorType_INT8, 0, "output", quant({0.25f}, {1}))};
  const std::vector<int32_t> outputs = {3}, inputs = {0};
  const auto options = fb::CreateConv2DOptions(b, fb::Padding_SAME, 1, 1).Union();
  std::vector<flatbuffers::Offset<fb::Operator>> operators = {
      fb::CreateOperatorDirect(b, p.opcode_index, &p.conv_inputs, &outputs, fb::BuiltinOptions_Conv2DOptions, options)};
  std::vector<flatbuffers::Offset<fb::SubGraph>> subgraphs = {
      fb::CreateSubGraphDirect(b, &tensors, &inputs, &outputs, &operators, "main")};
  const std::vector<uint8_t> weight(p.weight_bytes, 3), bias = {10, 0, 0, 0};
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers = {fb::CreateBuffer(b), fb::CreateBufferDirect(b, &weight),
                                                          fb::CreateBufferDirect(b, &bias)};
  std::vector<flatbuffers::Offset<fb::OperatorCode>> codes = {fb::CreateOperatorCode(b, 3, 0, 1, 3)};
  b.Finish(fb::CreateModelDirect(b, p.version, &codes, &subgraphs, "test", &buffers), fb::ModelIdentifier());
  return std::vector<uint8_t>(b.GetBufferPointer(), b.GetBufferPointer() + b.GetSize());
}

TEST(TfliteModel, IndicesShapesScalesAndZeroPointsOutOfRangeAreNamed) {
  ASSERT_TRUE(ParseModel(Build([](Parts&) {}), "ok.tflite").ok());
  const std::vector<std::pair<std::function<void(Parts&)>, std::string>> cases = {
      {[](Parts& p) { p.weights_buffer = 9; }, "tensor 1 ('weights'): buffer 9 of 3"},
      {[](Parts& p) {
         p.conv_inputs = {0, 7, 2};
       },
       "operator 0 (CONV_2D): tensor index 7 out of range (4 tensors)"},
      {[](Parts& p) { p.opcode_index = 4; }, "operator 0: operator code 4 out of range"},
      {[](Parts& p) {
         p.input_shape = {1, -4, 4, 1};
       },
       "tensor 0 ('input'): negative dimension -4"},
      {[](Parts& p) {
         p.input_shape = {1, 65536, 65536, 1};
       },
       "tensor 0 ('input'): more than 268435456 elements"},
      {[](Parts& p) { p.input_scale = {0.0f}; }, "tensor 0 ('input'): scale 0.000000 is not > 0"},
      {[](Parts& p) { p.input_scale = {-1.0f}; }, "tensor 0 ('input'): scale -1.000000 is not > 0"},
      {[](Parts& p) { p.input_zero_point = {200}; }, "tensor 0 ('input'): zero point 200 outside the int8 range"},
      {[](Parts& p) {
         p.input_zero_point = {1, 2};
       },
       "tensor 0 ('input'): 1 scales but 2 zero points"},
      {[](Parts& p) { p.weight_bytes = 5; }, "tensor 1 ('weights'): its buffer holds 5 bytes; shape and type need 1"},
      {[](Parts& p) { p.version = 2; }, "schema version 2, expected 3"},
  };
  for (const auto& [change, expected] : cases) {
    const core::Result<Model> m = ParseModel(Build(change), "bad.tflite");
    ASSERT_FALSE(m.ok()) << expected;
    EXPECT_EQ(m.error().message, "bad.tflite: " + expected);
  }
}

TEST(TfliteModel, AFileOfAnotherFormatIsNotReadAsOne) {
  const std::string text = "{\"not\": \"a flatbuffer\"}";
  const core::Result<Model> m = ParseModel(std::vector<uint8_t>(text.begin(), text.end()), "model.json");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().message, "model.json: not a .tflite file (no \"TFL3\" identifier)");
  EXPECT_FALSE(LoadModel(DataPath("missing.tflite")).ok());
}

}  // namespace
}  // namespace kilonas::tflite
