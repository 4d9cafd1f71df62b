#include "core/graph_json.h"

#include <algorithm>
#include <cctype>
#include <optional>

#include "core/kernel_registry.h"

namespace kilonas::core {
namespace {

std::optional<DType> DTypeFromName(const std::string& name) {
  for (DType d : {DType::kInt8, DType::kInt32, DType::kFloat32}) {
    if (DTypeName(d) == name) return d;
  }
  return std::nullopt;
}

std::optional<Activation> ActivationFromName(const std::string& name) {
  for (Activation a : {Activation::kNone, Activation::kRelu, Activation::kRelu6}) {
    if (ActivationName(a) == name) return a;
  }
  return std::nullopt;
}

std::vector<int> IntArray(const nlohmann::json& array, const std::string& path) {
  std::vector<int> values;
  for (const auto& v : array) {
    if (!v.is_number_integer()) throw JsonError("key '" + path + "': expected integers");
    values.push_back(v.get<int>());
  }
  return values;
}

}  // namespace

nlohmann::ordered_json GraphToJson(const Graph& graph) {
  nlohmann::ordered_json doc;
  doc["input"] = graph.input();
  doc["output"] = graph.output();
  doc["tensors"] = nlohmann::ordered_json::array();
  for (const Tensor& t : graph.tensors()) {
    doc["tensors"].push_back({{"name", t.name},
                              {"shape", {t.shape.h, t.shape.w, t.shape.c}},
                              {"dtype", DTypeName(t.dtype)},
                              {"scales", t.quant.scales},
                              {"zero_points", t.quant.zero_points}});
  }
  doc["ops"] = nlohmann::ordered_json::array();
  for (const Op& op : graph.ops()) {
    doc["ops"].push_back({{"kind", Traits(op.kind).name},
                          {"name", op.name},
                          {"inputs", op.inputs},
                          {"output", op.output},
                          {"kernel", op.kernel},
                          {"stride", op.stride},
                          {"padding", op.padding},
                          {"activation", ActivationName(op.activation)},
                          {"block", op.block},
                          {"weights", WeightLayoutName(op.weights)}});
    // Only where it differs from "padding": files of symmetric networks stay as they were.
    if (op.padding_end >= 0) doc["ops"].back()["padding_end"] = op.padding_end;
    // Columns only where they differ from rows (non-square windows of imported models).
    if (op.kernel_w >= 0) doc["ops"].back()["kernel_w"] = op.kernel_w;
    if (op.padding_w >= 0) doc["ops"].back()["padding_w"] = op.padding_w;
    if (op.padding_w_end >= 0) doc["ops"].back()["padding_w_end"] = op.padding_w_end;
  }
  return doc;
}

// A tensor or op name (core::IsSafeName).
std::string SafeName(ObjectReader& reader) {
  const std::string name = reader.String("name");
  if (!IsSafeName(name)) reader.Fail("name", "expected 1 to 128 characters of letters, digits and _ . : -");
  return name;
}

namespace {

Tensor TensorFromJson(const nlohmann::json& doc, const std::string& path) {
  ObjectReader t(doc, path);
  Tensor tensor;
  tensor.name = SafeName(t);
  const std::vector<int> shape = IntArray(t.Array("shape"), t.PathOf("shape"));
  if (shape.size() != 3 || shape[0] < 1 || shape[1] < 1 || shape[2] < 1 || shape[0] > 65535 || shape[1] > 65535 ||
      shape[2] > 65535) {
    t.Fail("shape", "expected [h, w, c] with each in 1..65535");
  }
  tensor.shape = {shape[0], shape[1], shape[2]};
  const std::optional<DType> dtype = DTypeFromName(t.String("dtype"));
  if (!dtype) t.Fail("dtype", "unknown dtype");
  tensor.dtype = *dtype;
  for (const auto& s : t.Array("scales")) {
    if (!s.is_number()) t.Fail("scales", "expected numbers");
    tensor.quant.scales.push_back(s.get<float>());
  }
  tensor.quant.zero_points = std::vector<int32_t>();
  for (int z : IntArray(t.Array("zero_points"), t.PathOf("zero_points"))) tensor.quant.zero_points.push_back(z);
  t.RejectUnknownKeys();
  return tensor;
}

// "weights": absent in files written before the wide layout existed.
void ReadWeightLayout(ObjectReader& o, Op& op) {
  if (!o.Has("weights")) return;
  const std::string layout = o.String("weights");
  if (layout == WeightLayoutName(WeightLayout::kWide)) {
    if (!HasWideKernel(op.kind, KernelSet::kOptimized))
      o.Fail("weights", "only a pointwise op can store its weights wide");
    op.weights = WeightLayout::kWide;
  } else if (layout != WeightLayoutName(WeightLayout::kInt8)) {
    o.Fail("weights", "expected \"int8\" or \"wide\"");
  }
}

Op OpFromJson(const nlohmann::json& doc, const std::string& path, int num_tensors) {
  ObjectReader o(doc, path);
  Op op;
  const std::optional<OpKind> kind = OpKindFromName(o.String("kind"));
  if (!kind) o.Fail("kind", "unknown op kind");
  op.kind = *kind;
  op.name = SafeName(o);
  op.inputs = IntArray(o.Array("inputs"), o.PathOf("inputs"));
  op.output = o.Int("output");
  for (int t : op.inputs) {
    if (t < 0 || t >= num_tensors) o.Fail("inputs", "tensor id out of range");
  }
  if (op.output < 0 || op.output >= num_tensors) o.Fail("output", "tensor id out of range");
  op.kernel = o.Int("kernel");
  op.stride = o.Int("stride");
  op.padding = o.Int("padding");
  if (op.kernel < 1 || op.kernel > kMaxKernel || op.stride < 1 || op.stride > kMaxStride || op.padding < 0 ||
      op.padding >= kMaxKernel) {
    o.Fail("kernel", "kernel 1.." + std::to_string(kMaxKernel) + ", stride 1.." + std::to_string(kMaxStride) +
                         ", padding 0.." + std::to_string(kMaxKernel - 1) + " expected");
  }
  if (o.Has("padding_end")) {
    op.padding_end = o.IntInRange("padding_end", 0, kMaxKernel - 1);
    if (op.padding_end == op.padding) op.padding_end = -1;  // symmetric after all
  }
  if (o.Has("kernel_w")) op.kernel_w = o.IntInRange("kernel_w", 1, kMaxKernel);
  if (o.Has("padding_w")) op.padding_w = o.IntInRange("padding_w", 0, kMaxKernel - 1);
  if (o.Has("padding_w_end")) op.padding_w_end = o.IntInRange("padding_w_end", 0, kMaxKernel - 1);
  const std::optional<Activation> act = ActivationFromName(o.String("activation"));
  if (!act) o.Fail("activation", "unknown activation");
  op.activation = *act;
  op.block = o.Int("block");
  ReadWeightLayout(o, op);
  o.RejectUnknownKeys();
  return op;
}

}  // namespace

Graph GraphFromJson(const nlohmann::json& doc, const std::string& path) {
  ObjectReader root(doc, path);
  Graph graph;
  const nlohmann::json& tensors = root.Array("tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    graph.AddTensor(TensorFromJson(tensors[i], root.PathOf("tensors") + "[" + std::to_string(i) + "]"));
  }
  const int num_tensors = static_cast<int>(graph.tensors().size());
  const nlohmann::json& ops = root.Array("ops");
  for (size_t i = 0; i < ops.size(); ++i) {
    graph.AddOp(OpFromJson(ops[i], root.PathOf("ops") + "[" + std::to_string(i) + "]", num_tensors));
  }
  const int input = root.Int("input"), output = root.Int("output");
  if (input < 0 || input >= num_tensors) root.Fail("input", "tensor id out of range");
  if (output < 0 || output >= num_tensors) root.Fail("output", "tensor id out of range");
  graph.SetInput(input);
  graph.SetOutput(output);
  root.RejectUnknownKeys();
  return graph;
}

}  // namespace kilonas::core
