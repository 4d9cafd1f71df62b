#include "tflite/export.h"

#include <flatbuffers/flatbuffers.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <map>
#include <optional>

#include "engine/quant_math.h"
#include "tflite/same_padding.h"
#include "tflite/schema_generated.h"

namespace kilonas::tflite {
namespace {

using engine::FixedPointMultiplier;
template <typename T>
using Offset = flatbuffers::Offset<T>;

bool Same(const FixedPointMultiplier& a, const FixedPointMultiplier& b) {
  return a.multiplier == b.multiplier && a.shift == b.shift;
}

// The positive float32 nearest `start` for which `multiplier_of` gives `want`: the scale a
// .tflite must store so that TFLite's QuantizeMultiplier computes the op's multiplier again.
std::optional<float> ReproducingScale(double start, const std::function<FixedPointMultiplier(float)>& multiplier_of,
                                      const FixedPointMultiplier& want) {
  float up = static_cast<float>(start), down = up;
  for (int step = 0; step < 64; ++step) {
    for (float v : {up, down}) {
      if (v > 0 && std::isfinite(v) && Same(multiplier_of(v), want)) return v;
    }
    up = std::nextafter(up, INFINITY);
    down = std::nextafter(down, 0.0f);
  }
  return std::nullopt;
}

fb::ActivationFunctionType FusedOf(core::Activation a) {
  switch (a) {
    case core::Activation::kNone:
      return fb::ActivationFunctionType_NONE;
    case core::Activation::kRelu:
      return fb::ActivationFunctionType_RELU;
    case core::Activation::kRelu6:
      return fb::ActivationFunctionType_RELU6;
  }
  return fb::ActivationFunctionType_NONE;
}

engine::ActivationQuant QuantOf(const core::Tensor& t) { return {t.quant.scales.at(0), t.quant.zero_points.at(0)}; }

// Depthwise weights [1][KH][KW][C] as the CONV_2D filter [C][KH][KW][C] that computes the same:
// output channel o reads only input channel o.
std::vector<int8_t> DiagonalConvWeights(const std::vector<int8_t>& depthwise, int channels) {
  const size_t c = static_cast<size_t>(channels), taps = depthwise.size() / c;
  std::vector<int8_t> conv(c * taps * c, 0);
  for (size_t o = 0; o < c; ++o) {
    for (size_t t = 0; t < taps; ++t) conv[(o * taps + t) * c + o] = depthwise[t * c + o];
  }
  return conv;
}

core::Status Fail(const core::Op& op, const std::string& what) {
  return core::Status::Fail("op '" + op.name + "' (" + std::string(core::Traits(op.kind).name) + "): " + what);
}

class Writer {
 public:
  Writer(const engine::Model& m, bool padded_depthwise_as_conv, bool float_edges = false)
      : m_(m), g_(m.graph), padded_depthwise_as_conv_(padded_depthwise_as_conv), float_edges_(float_edges) {}
  core::Result<std::string> Run(const std::string& description);

 private:
  uint32_t Code(Builtin builtin, int version);
  uint32_t Buffer(const void* data, size_t bytes);
  int32_t Tensor(const std::string& name, const std::vector<int32_t>& shape, fb::TensorType type, uint32_t buffer,
                 const std::vector<float>& scales, int32_t dimension, int64_t zero_point = 0);
  int32_t Activation(int graph_tensor);
  std::vector<int32_t> ShapeOf(int graph_tensor) const;
  // A float32 tensor of the graph tensor's shape, converted from or to it at the graph's edge.
  int32_t FloatEdge(int graph_tensor, bool input);
  void Operator(Builtin builtin, int version, const std::vector<int32_t>& inputs, int output, fb::BuiltinOptions type,
                Offset<void> options);
  struct WindowPadding {
    AxisPadding rows, cols;
  };
  WindowPadding PaddingOfWindow(const core::Op& op) const;
  std::optional<fb::Padding> StandardPadding(const core::Op& op) const;
  core::Result<fb::Padding> Window(const core::Op& op, int32_t& input);
  core::Status Clamp(const core::Op& op, const engine::OpConstants& c);
  core::Status Op(size_t i);
  core::Status Weighted(size_t i);
  core::Result<std::vector<float>> WeightScales(size_t i) const;
  core::Status Pool(size_t i);  // average or max
  core::Status Add(size_t i);
  core::Status Mean(size_t i);
  core::Status Softmax(size_t i);

  const engine::Model& m_;
  const core::Graph& g_;
  const bool padded_depthwise_as_conv_;  // ExportTfliteForArmnn's form
  const bool float_edges_;               // ExportTfliteWithFloatEdges's form
  flatbuffers::FlatBufferBuilder b_;
  std::vector<Offset<fb::Tensor>> tensors_;
  std::vector<Offset<fb::Buffer>> buffers_;
  std::vector<Offset<fb::Operator>> operators_;
  std::vector<Offset<fb::OperatorCode>> codes_;
  std::map<int32_t, uint32_t> code_index_;
  std::map<int, int32_t> tensor_of_;  // Graph tensor -> .tflite tensor
  std::vector<bool> rank2_;           // Graph tensors written 1xN (a fully connected output)
};

uint32_t Writer::Code(Builtin builtin, int version) {
  const auto code = static_cast<int32_t>(builtin);
  auto [it, added] = code_index_.emplace(code, static_cast<uint32_t>(codes_.size()));
  if (added) codes_.push_back(fb::CreateOperatorCode(b_, static_cast<int8_t>(std::min(code, 127)), 0, version, code));
  return it->second;
}

uint32_t Writer::Buffer(const void* data, size_t bytes) {
  b_.ForceVectorAlignment(bytes, 1, 16);  // aligned as TensorFlow Lite's converter aligns them
  const auto vector = b_.CreateVector(static_cast<const uint8_t*>(data), bytes);
  buffers_.push_back(fb::CreateBuffer(b_, vector));
  return static_cast<uint32_t>(buffers_.size() - 1);
}

int32_t Writer::Tensor(const std::string& name, const std::vector<int32_t>& shape, fb::TensorType type, uint32_t buffer,
                       const std::vector<float>& scales, int32_t dimension, int64_t zero_point) {
  const std::vector<int64_t> zero_points(scales.size(), zero_point);
  const auto quant = fb::CreateQuantizationParametersDirect(b_, nullptr, nullptr, &scales, &zero_points,
                                                            fb::QuantizationDetails_NONE, 0, dimension);
  tensors_.push_back(fb::CreateTensorDirect(b_, &shape, type, buffer, name.c_str(), quant));
  return static_cast<int32_t>(tensors_.size() - 1);
}

// A Graph tensor as an int8 activation tensor: 1xHxWxC, or 1xN after a fully connected op (as
// TensorFlow Lite writes it).
int32_t Writer::Activation(int graph_tensor) {
  if (auto it = tensor_of_.find(graph_tensor); it != tensor_of_.end()) return it->second;
  const core::Tensor& t = g_.tensor(graph_tensor);
  const int32_t index = Tensor(t.name, ShapeOf(graph_tensor), fb::TensorType_INT8, 0, {t.quant.scales.at(0)}, 0,
                               t.quant.zero_points.at(0));
  tensor_of_[graph_tensor] = index;
  return index;
}

std::vector<int32_t> Writer::ShapeOf(int graph_tensor) const {
  const core::Shape& s = g_.tensor(graph_tensor).shape;
  return rank2_[static_cast<size_t>(graph_tensor)] ? std::vector<int32_t>{1, s.c}
                                                   : std::vector<int32_t>{1, s.h, s.w, s.c};
}

int32_t Writer::FloatEdge(int graph_tensor, bool input) {
  const int32_t body = Activation(graph_tensor);
  const int32_t edge = Tensor(g_.tensor(graph_tensor).name + (input ? "_float_input" : "_float_output"),
                              ShapeOf(graph_tensor), fb::TensorType_FLOAT32, 0, {}, 0);
  const std::vector<int32_t> inputs{input ? edge : body}, outputs{input ? body : edge};
  operators_.push_back(
      fb::CreateOperatorDirect(b_, Code(input ? Builtin::kQuantize : Builtin::kDequantize, 1), &inputs, &outputs));
  return edge;
}

void Writer::Operator(Builtin builtin, int version, const std::vector<int32_t>& inputs, int output,
                      fb::BuiltinOptions type, Offset<void> options) {
  const std::vector<int32_t> outputs{Activation(output)};
  operators_.push_back(fb::CreateOperatorDirect(b_, Code(builtin, version), &inputs, &outputs, type, options));
}

// The op's padding along rows and columns.
Writer::WindowPadding Writer::PaddingOfWindow(const core::Op& op) const {
  const core::Shape& out = g_.OutputOf(op).shape;
  return {{op.padding, op.PaddingEnd(), out.h}, {op.PaddingW(), op.PaddingWEnd(), out.w}};
}

// TensorFlow's SAME or VALID where the op's window is padded as one of them.
std::optional<fb::Padding> Writer::StandardPadding(const core::Op& op) const {
  const core::Shape& in = g_.InputOf(op).shape;
  const auto [rows, cols] = PaddingOfWindow(op);
  if (rows == PaddingOf(Padding::kSame, in.h, op.kernel, op.stride) &&
      cols == PaddingOf(Padding::kSame, in.w, op.KernelW(), op.stride)) {
    return fb::Padding_SAME;
  }
  if (rows.before == 0 && rows.after == 0 && cols.before == 0 && cols.after == 0) return fb::Padding_VALID;
  return std::nullopt;
}

// TensorFlow's SAME or VALID for the op's window; any other padding becomes a PAD (with the zero
// point, which is what kilonas pads with) in front of a VALID window, `input` then its output.
core::Result<fb::Padding> Writer::Window(const core::Op& op, int32_t& input) {
  if (std::optional<fb::Padding> standard = StandardPadding(op)) return *standard;
  if (op.kind == core::OpKind::kAvgPool2d || op.kind == core::OpKind::kMaxPool2d) {
    return Fail(op, "padded otherwise than TensorFlow's SAME: a PAD would be counted in the pool").error();
  }
  const core::Shape& in = g_.InputOf(op).shape;
  const auto [rows, cols] = PaddingOfWindow(op);
  const core::Tensor& x = g_.InputOf(op);
  const std::array<int32_t, 8> pads{0, 0, rows.before, rows.after, cols.before, cols.after, 0, 0};
  const int32_t paddings =
      Tensor(op.name + "_paddings", {4, 2}, fb::TensorType_INT32, Buffer(pads.data(), sizeof pads), {}, 0);
  const int32_t padded =
      Tensor(op.name + "_padded", {1, in.h + rows.before + rows.after, in.w + cols.before + cols.after, in.c},
             fb::TensorType_INT8, 0, {x.quant.scales.at(0)}, 0, x.quant.zero_points.at(0));
  const std::vector<int32_t> inputs{input, paddings}, outputs{padded};
  operators_.push_back(fb::CreateOperatorDirect(b_, Code(Builtin::kPad, 2), &inputs, &outputs,
                                                fb::BuiltinOptions_PadOptions, fb::CreatePadOptions(b_).Union()));
  input = padded;
  return fb::Padding_VALID;
}

// TFLite computes an op's clamp from its fused activation and output quantization: the model's
// must be that one.
core::Status Writer::Clamp(const core::Op& op, const engine::OpConstants& c) {
  const engine::ActivationClamp clamp = engine::ClampOf(op.activation, QuantOf(g_.OutputOf(op)));
  if (clamp.min != c.act_min || clamp.max != c.act_max) {
    return Fail(op, "its clamp [" + std::to_string(c.act_min) + ", " + std::to_string(c.act_max) +
                        "] is not the one TFLite computes for its activation [" + std::to_string(clamp.min) + ", " +
                        std::to_string(clamp.max) + "]");
  }
  return core::Status::Ok();
}

// Per output channel, the float32 filter scale from which TFLite computes the channel's stored
// multiplier (input scale x filter scale / output scale, in double).
core::Result<std::vector<float>> Writer::WeightScales(size_t i) const {
  const core::Op& op = g_.op(static_cast<int>(i));
  const engine::OpConstants& c = m_.constants[i];
  const double in = g_.InputOf(op).quant.scales.at(0), out = g_.OutputOf(op).quant.scales.at(0);
  std::vector<float> scales;
  for (size_t ch = 0; ch < c.multiplier.size(); ++ch) {
    const FixedPointMultiplier want{c.multiplier[ch], c.shift[ch]};
    const auto of = [&](float w) { return engine::QuantizeMultiplier(in * static_cast<double>(w) / out); };
    const std::optional<float> scale = ReproducingScale(engine::RealOf(want) * out / in, of, want);
    if (!scale) {
      return Fail(op, "channel " + std::to_string(ch) +
                          ": no float32 filter scale gives its multiplier (quantize the model again with this "
                          "version of kilonas)")
          .error();
    }
    scales.push_back(*scale);
  }
  // One scale for the whole filter where every channel has it (per-tensor, as TFLite's converter
  // writes fully connected weights).
  if (std::all_of(scales.begin(), scales.end(), [&](float v) { return v == scales.front(); })) scales.resize(1);
  return scales;
}

core::Status Writer::Weighted(size_t i) {
  const core::Op& op = g_.op(static_cast<int>(i));
  const engine::OpConstants& c = m_.constants[i];
  if (core::Status s = Clamp(op, c); !s.ok()) return s;
  core::Result<std::vector<float>> scales = WeightScales(i);
  if (!scales.ok()) return scales.error();
  const core::Shape& in = g_.InputOf(op).shape;
  const int cout = g_.OutputOf(op).shape.c;
  const bool dense = op.kind == core::OpKind::kFullyConnected;
  const bool as_conv =
      op.kind == core::OpKind::kDepthwiseConv2d && padded_depthwise_as_conv_ && !StandardPadding(op).has_value();
  const bool depthwise = op.kind == core::OpKind::kDepthwiseConv2d && !as_conv;
  const std::vector<int32_t> shape = dense       ? std::vector<int32_t>{cout, static_cast<int32_t>(in.Elements())}
                                     : depthwise ? std::vector<int32_t>{1, op.kernel, op.KernelW(), cout}
                                                 : std::vector<int32_t>{cout, op.kernel, op.KernelW(), in.c};
  const std::vector<int8_t> filter = as_conv ? DiagonalConvWeights(c.weights, cout) : c.weights;
  const int32_t weights = Tensor(op.name + "_weights", shape, fb::TensorType_INT8, Buffer(filter.data(), filter.size()),
                                 scales.value(), depthwise ? 3 : 0);
  std::vector<float> bias_scales;
  for (float w : scales.value()) bias_scales.push_back(g_.InputOf(op).quant.scales.at(0) * w);
  const int32_t bias = Tensor(op.name + "_bias", {cout}, fb::TensorType_INT32,
                              Buffer(c.bias.data(), c.bias.size() * sizeof(int32_t)), bias_scales, 0);
  int32_t input = Activation(op.inputs[0]);
  const fb::ActivationFunctionType fused = FusedOf(op.activation);
  if (dense) {
    Operator(Builtin::kFullyConnected, 4, {input, weights, bias}, op.output, fb::BuiltinOptions_FullyConnectedOptions,
             fb::CreateFullyConnectedOptions(b_, fused).Union());
    return core::Status::Ok();
  }
  core::Result<fb::Padding> padding = Window(op, input);
  if (!padding.ok()) return padding.error();
  if (depthwise) {
    Operator(Builtin::kDepthwiseConv2d, 3, {input, weights, bias}, op.output, fb::BuiltinOptions_DepthwiseConv2DOptions,
             fb::CreateDepthwiseConv2DOptions(b_, padding.value(), op.stride, op.stride, 1, fused).Union());
  } else {
    Operator(Builtin::kConv2d, 3, {input, weights, bias}, op.output, fb::BuiltinOptions_Conv2DOptions,
             fb::CreateConv2DOptions(b_, padding.value(), op.stride, op.stride, fused).Union());
  }
  return core::Status::Ok();
}

core::Status Writer::Pool(size_t i) {
  const core::Op& op = g_.op(static_cast<int>(i));
  if (core::Status s = Clamp(op, m_.constants[i]); !s.ok()) return s;
  int32_t input = Activation(op.inputs[0]);
  core::Result<fb::Padding> padding = Window(op, input);
  if (!padding.ok()) return padding.error();
  Operator(
      op.kind == core::OpKind::kMaxPool2d ? Builtin::kMaxPool2d : Builtin::kAveragePool2d, 2, {input}, op.output,
      fb::BuiltinOptions_Pool2DOptions,
      fb::CreatePool2DOptions(b_, padding.value(), op.stride, op.stride, op.kernel, op.kernel, FusedOf(op.activation))
          .Union());
  return core::Status::Ok();
}

core::Status Writer::Add(size_t i) {
  const core::Op& op = g_.op(static_cast<int>(i));
  const engine::OpConstants& c = m_.constants[i];
  if (core::Status s = Clamp(op, c); !s.ok()) return s;
  engine::OpConstants expected;
  engine::SetAddRescaling(
      engine::AddRescalingOf(g_.InputOf(op, 0).quant.scales.at(0), g_.InputOf(op, 1).quant.scales.at(0),
                             g_.OutputOf(op).quant.scales.at(0)),
      expected);
  if (expected.output_multiplier != c.output_multiplier || expected.input1_multiplier != c.input1_multiplier ||
      expected.input2_multiplier != c.input2_multiplier || expected.left_shift != c.left_shift) {
    return Fail(op, "its rescaling is not the one TFLite computes from the three scales");
  }
  Operator(Builtin::kAdd, 2, {Activation(op.inputs[0]), Activation(op.inputs[1])}, op.output,
           fb::BuiltinOptions_AddOptions, fb::CreateAddOptions(b_, FusedOf(op.activation)).Union());
  return core::Status::Ok();
}

// The global average pool as MEAN over rows and columns, kept as 1x1xC.
core::Status Writer::Mean(size_t i) {
  const core::Op& op = g_.op(static_cast<int>(i));
  const engine::OpConstants& c = m_.constants[i];
  const core::Shape& in = g_.InputOf(op).shape;
  const FixedPointMultiplier expected = engine::GlobalPoolMultiplier(
      g_.InputOf(op).quant.scales.at(0), g_.OutputOf(op).quant.scales.at(0), static_cast<int64_t>(in.h) * in.w);
  if (!Same(expected, {c.output_multiplier, c.output_shift})) {
    return Fail(op, "its multiplier is not the one the two scales give");
  }
  const std::array<int32_t, 2> axes{1, 2};
  const int32_t axis = Tensor(op.name + "_axes", {2}, fb::TensorType_INT32, Buffer(axes.data(), sizeof axes), {}, 0);
  Operator(Builtin::kMean, 2, {Activation(op.inputs[0]), axis}, op.output, fb::BuiltinOptions_ReducerOptions,
           fb::CreateReducerOptions(b_, true).Union());
  return core::Status::Ok();
}

core::Status Writer::Softmax(size_t i) {
  const core::Op& op = g_.op(static_cast<int>(i));
  const engine::OpConstants& c = m_.constants[i];
  const double in = g_.InputOf(op).quant.scales.at(0);
  const FixedPointMultiplier want{c.output_multiplier, c.output_shift};
  const auto of = [&](float beta) { return engine::SoftmaxInputScaling(beta, in); };
  std::optional<float> beta = Same(of(1.0f), want) ? std::optional<float>(1.0f) : std::nullopt;
  if (!beta) beta = ReproducingScale(engine::RealOf(want) / (in * std::ldexp(1.0, 26)), of, want);
  if (!beta) return Fail(op, "no float32 beta gives its input scaling");
  Operator(Builtin::kSoftmax, 2, {Activation(op.inputs[0])}, op.output, fb::BuiltinOptions_SoftmaxOptions,
           fb::CreateSoftmaxOptions(b_, *beta).Union());
  return core::Status::Ok();
}

core::Status Writer::Op(size_t i) {
  switch (g_.op(static_cast<int>(i)).kind) {
    case core::OpKind::kConv2d:
    case core::OpKind::kPointwiseConv2d:
    case core::OpKind::kDepthwiseConv2d:
    case core::OpKind::kFullyConnected:
      return Weighted(i);
    case core::OpKind::kAvgPool2d:
    case core::OpKind::kMaxPool2d:
      return Pool(i);
    case core::OpKind::kAdd:
      return Add(i);
    case core::OpKind::kGlobalAvgPool:
      return Mean(i);
    case core::OpKind::kSoftmax:
      return Softmax(i);
  }
  return core::Status::Fail("unknown op kind");
}

core::Result<std::string> Writer::Run(const std::string& description) {
  rank2_.assign(g_.tensors().size(), false);
  for (const core::Op& op : g_.ops()) {
    rank2_[static_cast<size_t>(op.output)] =
        op.kind == core::OpKind::kFullyConnected ||
        (op.kind == core::OpKind::kSoftmax && rank2_[static_cast<size_t>(op.inputs[0])]);
  }
  buffers_.push_back(fb::CreateBuffer(b_));  // buffer 0: empty, for every tensor without data
  const int32_t input = float_edges_ ? FloatEdge(g_.input(), true) : Activation(g_.input());
  for (size_t i = 0; i < g_.ops().size(); ++i) {
    if (core::Status s = Op(i); !s.ok()) return s.error();
  }
  const std::vector<int32_t> inputs{input},
      outputs{float_edges_ ? FloatEdge(g_.output(), false) : Activation(g_.output())};
  const std::vector<Offset<fb::SubGraph>> subgraphs{
      fb::CreateSubGraphDirect(b_, &tensors_, &inputs, &outputs, &operators_, "main")};
  b_.Finish(fb::CreateModelDirect(b_, 3, &codes_, &subgraphs, description.c_str(), &buffers_), fb::ModelIdentifier());
  return std::string(reinterpret_cast<const char*>(b_.GetBufferPointer()), b_.GetSize());
}

}  // namespace

core::Result<std::string> ExportTflite(const engine::Model& model, const std::string& description) {
  return Writer(model, false).Run(description);
}

core::Result<std::string> ExportTfliteForArmnn(const engine::Model& model, const std::string& description) {
  return Writer(model, true).Run(description);
}

core::Result<std::string> ExportTfliteWithFloatEdges(const engine::Model& model, const std::string& description) {
  return Writer(model, false, true).Run(description);
}

core::Status AddTfliteFile(const engine::Model& model, const std::string& description, engine::ExportOptions& options,
                           bool float_edges) {
  core::Result<std::string> bytes =
      float_edges ? ExportTfliteWithFloatEdges(model, description) : ExportTflite(model, description);
  if (!bytes.ok()) return bytes.status();
  options.extra_files.emplace_back(kTfliteFileName, std::move(bytes).value());
  return core::Status::Ok();
}

}  // namespace kilonas::tflite
