#include "tflite/import.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

#include "core/receptive_field.h"
#include "engine/quant_math.h"
#include "tflite/same_padding.h"

namespace kilonas::tflite {

bool IsImported(int32_t builtin) {
  switch (static_cast<Builtin>(builtin)) {
    case Builtin::kConv2d:
    case Builtin::kDepthwiseConv2d:
    case Builtin::kFullyConnected:
    case Builtin::kAveragePool2d:
    case Builtin::kMaxPool2d:
    case Builtin::kReshape:
    case Builtin::kSqueeze:
    case Builtin::kSoftmax:
    case Builtin::kAdd:
    case Builtin::kMean:
    case Builtin::kPad:
    case Builtin::kQuantize:  // at the graph's edges only (FloatEdgesOf); Operator says so elsewhere
    case Builtin::kDequantize:
      return true;
    default:
      return false;
  }
}

namespace {
bool OfType(const Model& m, int32_t tensor, TensorType type) {
  return tensor >= 0 && static_cast<size_t>(tensor) < m.tensors.size() &&
         m.tensors[static_cast<size_t>(tensor)].type == static_cast<int8_t>(type);
}

// Whether `op` converts `from` (of type from_type) into one tensor of type to_type.
bool Converts(const Model& m, const Operator& op, Builtin builtin, TensorType from_type, TensorType to_type) {
  return op.builtin == static_cast<int32_t>(builtin) && op.inputs.size() == 1 && op.outputs.size() == 1 &&
         OfType(m, op.inputs[0], from_type) && OfType(m, op.outputs[0], to_type);
}
}  // namespace

std::vector<int8_t> QuantizeAtInputEdge(const engine::Model& body, const std::vector<float>& input) {
  const core::Tensor& t = body.graph.tensor(body.graph.input());
  const float scale = engine::TensorScale(t);
  const int32_t zero_point = engine::TensorZeroPoint(t);
  std::vector<int8_t> out;
  out.reserve(input.size());
  for (float x : input) {
    if (std::isnan(x)) {  // no number: the zero point (the caller should refuse such input)
      out.push_back(static_cast<int8_t>(zero_point));
      continue;
    }
    const float q = std::round(x / scale);
    const float clamped = std::clamp(q + static_cast<float>(zero_point), -128.0f, 127.0f);  // also for |q| past int32
    out.push_back(static_cast<int8_t>(clamped));
  }
  return out;
}

FloatEdges FloatEdgesOf(const Model& m) {
  FloatEdges edges;
  if (m.operators.size() < 2 || m.inputs.size() != 1 || m.outputs.size() != 1) return edges;
  const Operator& first = m.operators.front();
  const Operator& last = m.operators.back();
  edges.input =
      Converts(m, first, Builtin::kQuantize, TensorType::kFloat32, TensorType::kInt8) && first.inputs[0] == m.inputs[0];
  edges.output = Converts(m, last, Builtin::kDequantize, TensorType::kInt8, TensorType::kFloat32) &&
                 last.outputs[0] == m.outputs[0];
  return edges;
}

namespace {

// One error naming every operator the importer does not take.
core::Status CheckOperators(const Model& m, int last) {
  std::string list;
  int count = 0;
  for (int i = 0; i <= last; ++i) {
    const Operator& op = m.operators[static_cast<size_t>(i)];
    if (IsImported(op.builtin)) continue;
    list += (count++ ? ", " : "") + op.Describe();
  }
  if (count == 0) return core::Status::Ok();
  return core::Status::Fail(std::to_string(count) + " operator" + (count > 1 ? "s" : "") +
                            " kilonas does not import (docs/tflite.md): " + list);
}

// Windows and strides of microcontroller models are small; a file's larger ones (hostile or
// not) are refused before any arithmetic on them, with the limits a graph file holds.
core::Status CheckWindow(int kernel, int stride) {
  if (kernel < 1 || kernel > core::kMaxKernel || stride < 1 || stride > core::kMaxStride) {
    return core::Status::Fail("window " + std::to_string(kernel) + ", stride " + std::to_string(stride) +
                              " (kilonas imports windows of 1.." + std::to_string(core::kMaxKernel) +
                              " and strides of 1.." + std::to_string(core::kMaxStride) + ")");
  }
  return core::Status::Ok();
}

// A fused activation as kilonas's, its clamp as TFLite Micro computes it (engine::ClampOf).
core::Status ActivationRange(FusedActivation act, const Tensor& output, engine::OpConstants& c,
                             core::Activation& kind) {
  switch (act) {
    case FusedActivation::kNone:
      kind = core::Activation::kNone;
      break;
    case FusedActivation::kRelu:
      kind = core::Activation::kRelu;
      break;
    case FusedActivation::kRelu6:
      kind = core::Activation::kRelu6;
      break;
    case FusedActivation::kReluN1To1:
    case FusedActivation::kTanh:
    case FusedActivation::kSignBit:
      return core::Status::Fail("fused activation " + std::to_string(static_cast<int>(act)) +
                                " (only NONE, RELU and RELU6 are imported)");
  }
  const engine::ActivationClamp clamp =
      engine::ClampOf(kind, {output.scales[0], static_cast<int32_t>(output.zero_points[0])});
  c.act_min = clamp.min;
  c.act_max = clamp.max;
  return core::Status::Ok();
}

class Importer {
 public:
  Importer(const Model& m, const ImportOptions& options) : m_(m), options_(options) {
    ids_.assign(m.tensors.size(), -1);
    pads_.assign(m.tensors.size(), {0, 0, 0, 0});
  }

  // Operators first..last; the graph's input is tensor `input`, its output `output`.
  core::Result<engine::Model> Run(int first, int last, int32_t input, int32_t output);

 private:
  const Tensor& T(int32_t index) const { return m_.tensors[static_cast<size_t>(index)]; }
  core::Result<core::Shape> ShapeOf(int32_t index) const;
  core::Status CheckActivation(int32_t index) const;
  // The Graph tensor an operator reads; a PAD's output only where the reader takes the padding on.
  core::Result<int> Input(int32_t index, bool padding_taken = false) const;
  core::Result<int> AddOutput(int32_t index);
  core::Status Operator(const tflite::Operator& op);
  core::Status Convolution(const tflite::Operator& op);
  core::Status FullyConnected(const tflite::Operator& op);
  core::Status CheckWeightedShape(const tflite::Operator& op, size_t filter_rank) const;
  core::Status Weighted(const tflite::Operator& op, int cout, core::Op& g, engine::OpConstants& c) const;
  // `pad`: a PAD folded into the window (top, bottom, left, right).
  core::Status SetWindow(const tflite::Operator& op, int kh, int kw, const core::Shape& is, const core::Shape& os,
                         core::Op& g, const std::array<int, 4>& pad = {0, 0, 0, 0}) const;
  core::Status Pool(const tflite::Operator& op, core::OpKind kind);  // average or max
  core::Status Reshape(const tflite::Operator& op);
  core::Status Softmax(const tflite::Operator& op);
  core::Status Add(const tflite::Operator& op);
  core::Status Mean(const tflite::Operator& op);
  core::Status Pad(const tflite::Operator& op);
  core::Result<std::vector<int32_t>> ConstantInts(int32_t index, size_t count) const;
  core::Status Append(core::Op op, int32_t output, engine::OpConstants constants);

  const Model& m_;
  const ImportOptions& options_;
  std::vector<int> ids_;  // tflite tensor -> Graph tensor, -1 before it is made
  // A PAD's output: the padding (top, bottom, left, right) the convolution reading it takes on.
  std::vector<std::array<int, 4>> pads_;
  engine::Model out_;
};

core::Result<core::Shape> Importer::ShapeOf(int32_t index) const {
  const std::vector<int32_t>& s = T(index).shape;
  if (s.size() == 4 && s[0] == 1) return core::Shape{s[1], s[2], s[3]};
  if (s.size() == 2 && s[0] == 1) return core::Shape{1, 1, s[1]};
  std::string text;
  for (int32_t d : s) text += (text.empty() ? "" : "x") + std::to_string(d);
  return core::Error{"tensor " + std::to_string(index) + " ('" + T(index).name + "'): shape " + text +
                     " (kilonas imports 1xHxWxC and 1xN activations)"};
}

core::Status Importer::CheckActivation(int32_t index) const {
  const Tensor& t = T(index);
  const std::string where = "tensor " + std::to_string(index) + " ('" + t.name + "')";
  if (t.type != static_cast<int8_t>(TensorType::kInt8)) {
    return core::Status::Fail(where + ": type " + TensorTypeName(t.type) + " (kilonas imports int8 activations)");
  }
  if (t.scales.size() != 1) return core::Status::Fail(where + ": an activation needs one scale and zero point");
  return core::Status::Ok();
}

core::Result<int> Importer::Input(int32_t index, bool padding_taken) const {
  if (index < 0 || ids_[static_cast<size_t>(index)] < 0) {
    return core::Error{"tensor " + std::to_string(index) + " is read before any operator wrote it"};
  }
  if (!padding_taken && pads_[static_cast<size_t>(index)] != std::array<int, 4>{0, 0, 0, 0}) {
    return core::Error{
        "reads the output of a PAD: kilonas folds a PAD only into the CONV_2D or "
        "DEPTHWISE_CONV_2D that reads it"};
  }
  return ids_[static_cast<size_t>(index)];
}

core::Result<int> Importer::AddOutput(int32_t index) {
  if (core::Status s = CheckActivation(index); !s.ok()) return s.error();
  core::Result<core::Shape> shape = ShapeOf(index);
  if (!shape.ok()) return shape.error();
  const Tensor& t = T(index);
  // TensorFlow's names ("MobilenetV1/Conv2d_0/Relu6") with the characters generated C and reports
  // do not take replaced.
  core::Tensor tensor{core::SafeNameFrom(t.name, "t" + std::to_string(index)), shape.value(), core::DType::kInt8, {}};
  tensor.quant.scales = {t.scales[0]};
  tensor.quant.zero_points = {static_cast<int32_t>(t.zero_points[0])};
  ids_[static_cast<size_t>(index)] = out_.graph.AddTensor(std::move(tensor));
  return ids_[static_cast<size_t>(index)];
}

core::Status Importer::Append(core::Op op, int32_t output, engine::OpConstants constants) {
  core::Result<int> id = AddOutput(output);
  if (!id.ok()) return id.error();
  op.output = id.value();
  op.name = out_.graph.tensor(id.value()).name;  // an op is named by what it writes, as in TFLite
  out_.graph.AddOp(std::move(op));
  out_.constants.push_back(std::move(constants));
  return core::Status::Ok();
}

core::Status Importer::Operator(const tflite::Operator& op) {
  core::Status s;
  switch (static_cast<Builtin>(op.builtin)) {
    case Builtin::kConv2d:
    case Builtin::kDepthwiseConv2d:
      s = Convolution(op);
      break;
    case Builtin::kFullyConnected:
      s = FullyConnected(op);
      break;
    case Builtin::kAveragePool2d:
      s = Pool(op, core::OpKind::kAvgPool2d);
      break;
    case Builtin::kMaxPool2d:
      s = Pool(op, core::OpKind::kMaxPool2d);
      break;
    case Builtin::kReshape:
    case Builtin::kSqueeze:  // dropping dimensions of size 1: a reshape
      s = Reshape(op);
      break;
    case Builtin::kSoftmax:
      s = Softmax(op);
      break;
    case Builtin::kAdd:
      s = Add(op);
      break;
    case Builtin::kMean:
      s = Mean(op);
      break;
    case Builtin::kPad:
      s = Pad(op);
      break;
    case Builtin::kQuantize:
    case Builtin::kDequantize:
      s = core::Status::Fail(
          "imported only at the graph's edges: a QUANTIZE of the float input as the first operator, a "
          "DEQUANTIZE to the float output as the last");
      break;
    default:
      s = core::Status::Fail("not imported");  // CheckOperators listed it already
  }
  if (!s.ok()) return core::Status::Fail(op.Describe() + ": " + s.message());
  return core::Status::Ok();
}

namespace {
core::Status Fail(const std::string& what) { return core::Status::Fail(what); }
}  // namespace

core::Status Importer::Convolution(const tflite::Operator& op) {
  if (core::Status s = CheckWeightedShape(op, 4); !s.ok()) return s;
  core::Result<int> in = Input(op.inputs[0], /*padding_taken=*/true);
  if (!in.ok()) return in.error();
  const Tensor& f = T(op.inputs[1]);
  if (op.dilation_w != 1 || op.dilation_h != 1) return Fail("dilation other than 1 is not imported");
  const core::Shape is = out_.graph.tensor(in.value()).shape;
  core::Result<core::Shape> os = ShapeOf(op.outputs[0]);
  if (!os.ok()) return os.error();
  const int kh = f.shape[1], kw = f.shape[2];
  core::Op g{core::OpKind::kConv2d, "", {in.value()}, -1, 1, 1, 0, core::Activation::kNone, -1};
  if (core::Status s = SetWindow(op, kh, kw, is, os.value(), g, pads_[static_cast<size_t>(op.inputs[0])]); !s.ok()) {
    return s;
  }
  const int cin = is.c, cout = os.value().c;
  const bool depthwise = op.builtin == static_cast<int32_t>(Builtin::kDepthwiseConv2d);
  engine::OpConstants c;
  const std::vector<uint8_t>& w = f.data;
  if (!depthwise) {
    if (f.shape[0] != cout || f.shape[3] != cin) return Fail("filter shape does not match the input and output");
    c.weights.assign(w.begin(), w.end());  // [Cout][K][K][Cin]: the engine's layout
  } else if (f.shape[0] != 1 || f.shape[3] != cout) {
    return Fail("filter shape does not match the output");
  } else if (op.depth_multiplier == 1 && cin == cout && (cin > 1 || g.SquareWindow())) {
    if (!g.SquareWindow()) return Fail("kilonas's depthwise kernels take windows of as many columns as rows");
    g.kind = core::OpKind::kDepthwiseConv2d;
    c.weights.assign(w.begin(), w.end());  // [K][K][C]: the engine's layout
  } else if (cin == 1 && op.depth_multiplier == cout) {
    c.weights.resize(w.size());  // a convolution from one channel: [KH][KW][Cout] -> [Cout][KH][KW][1]
    for (int oc = 0; oc < cout; ++oc) {
      for (int i = 0; i < kh * kw; ++i)
        c.weights[static_cast<size_t>(oc * kh * kw + i)] = w[static_cast<size_t>(i * cout + oc)];
    }
  } else {
    return Fail("depth multiplier " + std::to_string(op.depth_multiplier) + " on " + std::to_string(cin) +
                " channels: kilonas imports multiplier 1, or any multiplier on one channel");
  }
  if (g.kind == core::OpKind::kConv2d && kh == 1 && kw == 1 && g.stride == 1 && g.padding == 0 && g.PaddingEnd() == 0 &&
      g.PaddingWEnd() == 0) {
    g.kind = core::OpKind::kPointwiseConv2d;
  }
  if (core::Status s = Weighted(op, cout, g, c); !s.ok()) return s;
  return Append(std::move(g), op.outputs[0], std::move(c));
}

// TFLite's FULLY_CONNECTED reads its input flattened in memory order, which for an HWC map is
// the order kilonas's fully connected kernel reads it: no reshape is needed before it.
core::Status Importer::FullyConnected(const tflite::Operator& op) {
  if (core::Status s = CheckWeightedShape(op, 2); !s.ok()) return s;
  core::Result<int> in = Input(op.inputs[0]);
  if (!in.ok()) return in.error();
  if (op.fc_weights_format != 0)
    return Fail("shuffled weights (weights_format " + std::to_string(op.fc_weights_format) + ") are not imported");
  const Tensor& f = T(op.inputs[1]);
  core::Result<core::Shape> os = ShapeOf(op.outputs[0]);
  if (!os.ok()) return os.error();
  const int cout = os.value().c;
  if (os.value().h != 1 || os.value().w != 1 || f.shape[0] != cout ||
      f.shape[1] != out_.graph.tensor(in.value()).shape.Elements()) {
    return Fail("weights " + std::to_string(f.shape[0]) + "x" + std::to_string(f.shape[1]) +
                " do not map the input's " + std::to_string(out_.graph.tensor(in.value()).shape.Elements()) +
                " values to the output's " + os.value().ToString());
  }
  core::Op g{core::OpKind::kFullyConnected, "", {in.value()}, -1, 1, 1, 0, core::Activation::kNone, -1};
  engine::OpConstants c;
  c.weights.assign(f.data.begin(), f.data.end());  // [Cout][Cin]: the engine's layout
  if (core::Status s = Weighted(op, cout, g, c); !s.ok()) return s;
  return Append(std::move(g), op.outputs[0], std::move(c));
}

// The input, filter, bias and output tensors of a convolution or fully connected operator: an
// int8 constant filter of `filter_rank` with zero points 0, an optional int32 constant bias.
core::Status Importer::CheckWeightedShape(const tflite::Operator& op, size_t filter_rank) const {
  if (op.inputs.size() < 2 || op.outputs.size() != 1) return Fail("expects an input, a filter, a bias and an output");
  const Tensor& f = T(op.inputs[1]);
  if (f.type != static_cast<int8_t>(TensorType::kInt8) || !f.IsConstant() || f.shape.size() != filter_rank) {
    return Fail("the filter must be a constant int8 tensor of rank " + std::to_string(filter_rank));
  }
  for (int64_t zp : f.zero_points) {
    if (zp != 0) return Fail("filter zero point " + std::to_string(zp) + " (int8 filters are symmetric: 0)");
  }
  const Tensor* bias = op.inputs.size() > 2 && op.inputs[2] >= 0 ? &T(op.inputs[2]) : nullptr;
  if (bias && (bias->type != static_cast<int8_t>(TensorType::kInt32) || !bias->IsConstant())) {
    return Fail("the bias must be a constant int32 tensor");
  }
  return CheckActivation(op.outputs[0]);
}

// The operator's window over an `is` input (kh rows, kw columns; its stride and padding) into
// `g`, checked against the output's shape `os`.
core::Status Importer::SetWindow(const tflite::Operator& op, int kh, int kw, const core::Shape& unpadded,
                                 const core::Shape& os, core::Op& g, const std::array<int, 4>& pad) const {
  const core::Shape is{unpadded.h + pad[0] + pad[1], unpadded.w + pad[2] + pad[3], unpadded.c};
  if (op.stride_w != op.stride_h) {
    return Fail("strides " + std::to_string(op.stride_h) + "x" + std::to_string(op.stride_w) +
                ": kilonas imports equal strides along rows and columns");
  }
  const int stride = op.stride_h;
  for (int k : {kh, kw}) {
    if (core::Status s = CheckWindow(k, stride); !s.ok()) return s;
  }
  AxisPadding ph = PaddingOf(op.padding, is.h, kh, stride), pw = PaddingOf(op.padding, is.w, kw, stride);
  if (os.h != ph.out || os.w != pw.out) return Fail("the output's size does not follow from the input's");
  ph.before += pad[0], ph.after += pad[1], pw.before += pad[2], pw.after += pad[3];  // a folded PAD
  if (std::max(ph.before, ph.after) >= kh || std::max(pw.before, pw.after) >= kw) {
    return Fail("padded by " + std::to_string(std::max({ph.before, ph.after, pw.before, pw.after})) + " for a " +
                std::to_string(kh) + "x" + std::to_string(kw) + " window: kilonas pads less than the window");
  }
  g.kernel = kh;
  g.stride = stride;
  g.padding = ph.before;
  if (ph.after != ph.before) g.padding_end = ph.after;
  if (kw != kh) g.kernel_w = kw;
  if (pw.before != ph.before) g.padding_w = pw.before;
  if (pw.after != (pw.before != ph.before ? pw.before : ph.after)) g.padding_w_end = pw.after;
  return core::Status::Ok();
}

// Bias, per-channel requantization and fused clamp of a weighted op, as TFLite Micro computes
// them from the stored scales (double multiplier to Q31 multiplier and shift).
core::Status Importer::Weighted(const tflite::Operator& op, int cout, core::Op& g, engine::OpConstants& c) const {
  const Tensor& x = T(op.inputs[0]);
  const Tensor& f = T(op.inputs[1]);
  const Tensor& y = T(op.outputs[0]);
  c.bias.assign(static_cast<size_t>(cout), 0);
  if (op.inputs.size() > 2 && op.inputs[2] >= 0) {
    const Tensor& bias = T(op.inputs[2]);
    if (bias.Elements() != cout) return Fail("bias of " + std::to_string(bias.Elements()) + " values");
    std::memcpy(c.bias.data(), bias.data.data(), bias.data.size());  // little-endian int32, as the host's
  }
  if (f.scales.size() != 1 && f.scales.size() != static_cast<size_t>(cout)) {
    return Fail("filter scales must be one or one per output channel");
  }
  for (int ch = 0; ch < cout; ++ch) {
    const float w_scale = f.scales[f.scales.size() == 1 ? 0 : static_cast<size_t>(ch)];
    const engine::FixedPointMultiplier m = engine::QuantizeMultiplier(
        static_cast<double>(x.scales[0]) * static_cast<double>(w_scale) / static_cast<double>(y.scales[0]));
    c.multiplier.push_back(m.multiplier);
    c.shift.push_back(m.shift);
  }
  return ActivationRange(op.activation, y, c, g.activation);
}

core::Status Importer::Pool(const tflite::Operator& op, core::OpKind kind) {
  if (op.inputs.size() != 1 || op.outputs.size() != 1) return Fail("expects one input and one output");
  core::Result<int> in = Input(op.inputs[0]);
  if (!in.ok()) return in.error();
  const Tensor& x = T(op.inputs[0]);
  const Tensor& y = T(op.outputs[0]);
  if (y.scales.size() != 1 || x.scales[0] != y.scales[0] || x.zero_points[0] != y.zero_points[0]) {
    return Fail("input and output quantized differently (TFLite's int8 pools keep the quantization)");
  }
  const core::Shape is = out_.graph.tensor(in.value()).shape;
  core::Result<core::Shape> os = ShapeOf(op.outputs[0]);
  if (!os.ok()) return os.error();
  if (os.value().c != is.c) return Fail("the channel count changes");
  core::Op g{kind, "", {in.value()}, -1, 1, 1, 0, core::Activation::kNone, -1};
  if (core::Status s = SetWindow(op, op.filter_h, op.filter_w, is, os.value(), g); !s.ok()) return s;
  if (!g.SquareWindow()) return Fail("kilonas's pools take windows of as many columns as rows");
  engine::OpConstants c;
  if (core::Status s = ActivationRange(op.activation, y, c, g.activation); !s.ok()) {
    return s;
  }
  return Append(std::move(g), op.outputs[0], std::move(c));
}

// A view (RESHAPE or SQUEEZE): the same buffer under another shape. kilonas keeps HWC buffers,
// so only a reshape that keeps the pixel layout (1x1xC <-> C), or one of the graph input before
// any operator read it, is imported.
core::Status Importer::Reshape(const tflite::Operator& op) {
  if (op.inputs.empty() || op.outputs.size() != 1) return Fail("expects an input and one output");
  core::Result<int> in = Input(op.inputs[0]);
  if (!in.ok()) return in.error();
  const Tensor& x = T(op.inputs[0]);
  const Tensor& y = T(op.outputs[0]);
  if (core::Status s = CheckActivation(op.outputs[0]); !s.ok()) return s;
  if (x.scales[0] != y.scales[0] || x.zero_points[0] != y.zero_points[0]) {
    return Fail("input and output quantized differently");
  }
  core::Result<core::Shape> os = ShapeOf(op.outputs[0]);
  if (!os.ok()) return os.error();
  core::Tensor& t = out_.graph.mutable_tensor(in.value());
  if (t.shape.Elements() != os.value().Elements()) return Fail("the element count changes");
  if (t.shape != os.value()) {
    if (in.value() != out_.graph.input() || !out_.graph.ops().empty()) {
      return Fail("from " + t.shape.ToString() + " to " + os.value().ToString() +
                  " changes the pixel layout (kilonas keeps HWC buffers)");
    }
    t.shape = os.value();  // the graph input, as the model's first operator sees it
  }
  ids_[static_cast<size_t>(op.outputs[0])] = in.value();
  return core::Status::Ok();
}

// TFLite Micro's int8 softmax: over the last dimension (a pixel's channels), its input scaling
// from beta and the input scale as CalculateSoftmaxParams computes it.
core::Status Importer::Softmax(const tflite::Operator& op) {
  if (op.inputs.size() != 1 || op.outputs.size() != 1) return Fail("expects one input and one output");
  core::Result<int> in = Input(op.inputs[0]);
  if (!in.ok()) return in.error();
  const Tensor& x = T(op.inputs[0]);
  core::Result<core::Shape> os = ShapeOf(op.outputs[0]);
  if (!os.ok()) return os.error();
  if (os.value() != out_.graph.tensor(in.value()).shape) return Fail("the output's shape differs from the input's");
  const double real = static_cast<double>(op.softmax_beta) * static_cast<double>(x.scales[0]);
  const engine::FixedPointMultiplier m = engine::SoftmaxInputScaling(op.softmax_beta, x.scales[0]);
  if (!(std::isfinite(real) && real > 0) || m.shift < 1) {
    return Fail("beta " + std::to_string(op.softmax_beta) + " x input scale " + std::to_string(x.scales[0]) +
                " is outside TFLite's int8 softmax (beta x scale x 2^26 must exceed 1)");
  }
  core::Op g{core::OpKind::kSoftmax, "", {in.value()}, -1, 1, 1, 0, core::Activation::kNone, -1};
  engine::OpConstants c;
  c.output_multiplier = m.multiplier;
  c.output_shift = m.shift;
  return Append(std::move(g), op.outputs[0], std::move(c));
}

// ADD of two maps of one shape (no broadcasting), rescaled as TFLite's int8 ADD.
core::Status Importer::Add(const tflite::Operator& op) {
  if (op.inputs.size() != 2 || op.outputs.size() != 1) return Fail("expects two inputs and one output");
  core::Result<int> a = Input(op.inputs[0]), b = Input(op.inputs[1]);
  if (!a.ok()) return a.error();
  if (!b.ok()) return b.error();
  core::Result<core::Shape> os = ShapeOf(op.outputs[0]);
  if (!os.ok()) return os.error();
  if (out_.graph.tensor(a.value()).shape != os.value() || out_.graph.tensor(b.value()).shape != os.value()) {
    return Fail("inputs and output of different shapes (kilonas adds maps of one shape, no broadcasting)");
  }
  core::Op g{core::OpKind::kAdd, "", {a.value(), b.value()}, -1, 1, 1, 0, core::Activation::kNone, -1};
  const Tensor& y = T(op.outputs[0]);
  engine::OpConstants c;
  engine::SetAddRescaling(engine::AddRescalingOf(T(op.inputs[0]).scales[0], T(op.inputs[1]).scales[0], y.scales[0]), c);
  if (core::Status s = ActivationRange(op.activation, y, c, g.activation); !s.ok()) {
    return s;
  }
  return Append(std::move(g), op.outputs[0], std::move(c));
}

// `count` int32 values of a constant tensor (axes, paddings).
core::Result<std::vector<int32_t>> Importer::ConstantInts(int32_t index, size_t count) const {
  if (index < 0) return core::Error{"a constant input is missing"};
  const Tensor& t = T(index);
  if (t.type != static_cast<int8_t>(TensorType::kInt32) || !t.IsConstant() ||
      t.Elements() != static_cast<int64_t>(count)) {
    return core::Error{"tensor " + std::to_string(index) + " ('" + t.name + "'): expected " + std::to_string(count) +
                       " constant int32 values"};
  }
  std::vector<int32_t> values(count);
  std::memcpy(values.data(), t.data.data(), count * sizeof(int32_t));
  return values;
}

// MEAN over rows and columns: kilonas's global average pool (see docs/tflite.md for how its
// rounding relates to TFLite Micro's MEAN).
core::Status Importer::Mean(const tflite::Operator& op) {
  if (op.inputs.size() != 2 || op.outputs.size() != 1) return Fail("expects an input, the axes and an output");
  core::Result<int> in = Input(op.inputs[0]);
  if (!in.ok()) return in.error();
  core::Result<std::vector<int32_t>> axes = ConstantInts(op.inputs[1], 2);
  if (!axes.ok()) return axes.error();
  std::vector<int32_t> a = axes.value();
  for (int32_t& axis : a) axis = axis < 0 ? axis + 4 : axis;
  std::sort(a.begin(), a.end());
  if (T(op.inputs[0]).shape.size() != 4 || a != std::vector<int32_t>{1, 2}) {
    return Fail("kilonas imports MEAN over rows and columns of a 1xHxWxC map");
  }
  const core::Shape is = out_.graph.tensor(in.value()).shape;
  core::Result<core::Shape> os = ShapeOf(op.outputs[0]);
  if (!os.ok()) return os.error();
  if (os.value() != core::Shape{1, 1, is.c}) return Fail("the output must hold one value per channel");
  core::Op g{core::OpKind::kGlobalAvgPool, "", {in.value()}, -1, 1, 1, 0, core::Activation::kNone, -1};
  engine::OpConstants c;
  const engine::FixedPointMultiplier m = engine::GlobalPoolMultiplier(
      T(op.inputs[0]).scales[0], T(op.outputs[0]).scales[0], static_cast<int64_t>(is.h) * is.w);
  c.output_multiplier = m.multiplier;
  c.output_shift = m.shift;
  return Append(std::move(g), op.outputs[0], std::move(c));
}

// PAD of rows and columns with the zero point (TFLite's int8 PAD keeps the quantization): no op
// of its own, the convolution reading it takes the padding on (Convolution, SetWindow).
core::Status Importer::Pad(const tflite::Operator& op) {
  if (op.inputs.size() < 2 || op.outputs.size() != 1) return Fail("expects an input, the paddings and an output");
  core::Result<int> in = Input(op.inputs[0]);
  if (!in.ok()) return in.error();
  const Tensor& x = T(op.inputs[0]);
  const Tensor& y = T(op.outputs[0]);
  if (core::Status s = CheckActivation(op.outputs[0]); !s.ok()) return s;
  if (x.scales[0] != y.scales[0] || x.zero_points[0] != y.zero_points[0])
    return Fail("input and output quantized differently");
  if (op.inputs.size() > 2 && op.inputs[2] >= 0)
    return Fail("a constant value other than the zero point is not imported");
  core::Result<std::vector<int32_t>> p = ConstantInts(op.inputs[1], 8);
  if (!p.ok()) return p.error();
  const std::vector<int32_t>& v = p.value();  // [[batch], [rows], [cols], [channels]] x (before, after)
  if (x.shape.size() != 4 || v[0] != 0 || v[1] != 0 || v[6] != 0 || v[7] != 0) {
    return Fail("kilonas imports a PAD of rows and columns of a 1xHxWxC map");
  }
  for (int i = 2; i < 6; ++i) {
    if (v[static_cast<size_t>(i)] < 0 || v[static_cast<size_t>(i)] >= core::kMaxKernel)
      return Fail("padding out of range");
  }
  core::Result<core::Shape> os = ShapeOf(op.outputs[0]);
  if (!os.ok()) return os.error();
  const core::Shape is = out_.graph.tensor(in.value()).shape;
  if (os.value() != core::Shape{is.h + v[2] + v[3], is.w + v[4] + v[5], is.c}) {
    return Fail("the output's shape does not follow from the paddings");
  }
  ids_[static_cast<size_t>(op.outputs[0])] = in.value();
  pads_[static_cast<size_t>(op.outputs[0])] = {v[2], v[3], v[4], v[5]};
  return core::Status::Ok();
}

core::Result<engine::Model> Importer::Run(int first, int last, int32_t input_tensor, int32_t output) {
  core::Result<int> input = AddOutput(input_tensor);
  if (!input.ok()) return core::Error{"the input: " + input.error().message};
  out_.graph.SetInput(input.value());
  for (int i = first; i <= last; ++i) {
    if (core::Status s = Operator(m_.operators[static_cast<size_t>(i)]); !s.ok()) return s.error();
  }
  core::Result<int> id = Input(output);
  if (!id.ok()) return core::Error{"the output: " + id.error().message};
  out_.graph.SetOutput(id.value());
  out_.execution = options_.execution;
  if (core::Status s = out_.graph.Validate(); !s.ok()) return s.error();
  if (core::Status s = engine::ValidateModel(out_); !s.ok()) return s.error();
  for (size_t i = 0; i < out_.graph.ops().size(); ++i) {
    const core::Op& op = out_.graph.op(static_cast<int>(i));
    if (const int ch = engine::RequantizationOverflows(op, out_.constants[i]); ch >= 0) {
      return core::Error{"op '" + op.name + "': output channel " + std::to_string(ch) +
                         ": its scales make the requantization of a large accumulator overflow int32"};
    }
  }
  return std::move(out_);
}

}  // namespace

core::Result<engine::Model> ImportModel(const Model& model, const std::string& path, const ImportOptions& options) {
  const int count = static_cast<int>(model.operators.size());
  const int last = options.through_operator < 0 ? count - 1 : options.through_operator;
  if (count == 0 || last >= count) {
    return core::Error{path + ": operator " + std::to_string(last) + " of " + std::to_string(count)};
  }
  if (core::Status s = CheckOperators(model, last); !s.ok()) return core::Error{path + ": " + s.message()};
  if (model.inputs.size() != 1 || model.outputs.size() != 1) {
    return core::Error{path + ": kilonas imports models of one input and one output"};
  }
  // The int8 body: without the float edges' QUANTIZE and DEQUANTIZE, up to the cut if asked.
  const FloatEdges edges = FloatEdgesOf(model);
  const int first = edges.input ? 1 : 0;
  const bool whole = last + 1 == count;
  const int body_last = whole && edges.output ? last - 1 : last;
  const int32_t input = edges.input ? model.operators.front().outputs[0] : model.inputs[0];
  const int32_t output = !whole         ? model.operators[static_cast<size_t>(last)].outputs.at(0)
                         : edges.output ? model.operators.back().inputs[0]
                                        : model.outputs[0];
  if (body_last < first) return core::Error{path + ": no operator between the float edges"};
  core::Result<engine::Model> imported = Importer(model, options).Run(first, body_last, input, output);
  if (!imported.ok()) return core::Error{path + ": " + imported.error().message};
  return imported;
}

}  // namespace kilonas::tflite
