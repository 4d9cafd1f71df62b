#include "core/graph.h"

#include <algorithm>
#include <cctype>
#include <sstream>

#include "core/kernel_registry.h"

namespace kilonas::core {

int BytesPerElement(DType dtype) {
  switch (dtype) {
    case DType::kInt8:
      return 1;
    case DType::kInt32:
    case DType::kFloat32:
      return 4;
  }
  return 1;
}

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kInt8:
      return "int8";
    case DType::kInt32:
      return "int32";
    case DType::kFloat32:
      return "float32";
  }
  return "int8";
}

std::string_view WeightLayoutName(WeightLayout layout) { return layout == WeightLayout::kWide ? "wide" : "int8"; }

std::string Shape::ToString() const {
  std::ostringstream out;
  out << h << "x" << w << "x" << c;
  return out.str();
}

int Graph::AddTensor(Tensor tensor) {
  tensors_.push_back(std::move(tensor));
  return static_cast<int>(tensors_.size()) - 1;
}

int Graph::AddOp(Op op) {
  ops_.push_back(std::move(op));
  return static_cast<int>(ops_.size()) - 1;
}

int Graph::Producer(int tensor) const {
  for (size_t i = 0; i < ops_.size(); ++i) {
    if (ops_[i].output == tensor) return static_cast<int>(i);
  }
  return -1;
}

std::vector<std::vector<int>> Graph::Consumers() const {
  std::vector<std::vector<int>> consumers(tensors_.size());
  for (size_t i = 0; i < ops_.size(); ++i) {
    for (int t : ops_[i].inputs) consumers.at(t).push_back(static_cast<int>(i));
  }
  return consumers;
}

namespace {
bool SafeNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == ':' || c == '-';
}
}  // namespace

bool IsSafeName(const std::string& name) {
  return !name.empty() && name.size() <= kMaxNameLength && std::all_of(name.begin(), name.end(), SafeNameChar);
}

std::string SafeNameFrom(const std::string& text, const std::string& fallback) {
  std::string name = text.substr(0, kMaxNameLength);
  for (char& c : name) {
    if (!SafeNameChar(c)) c = '_';
  }
  return name.empty() ? fallback : name;
}

int64_t MacsPerOutputPixel(OpKind kind, int kernel_h, int kernel_w, const Shape& in, const Shape& out) {
  const int64_t window = static_cast<int64_t>(kernel_h) * kernel_w;
  switch (kind) {
    case OpKind::kConv2d:
    case OpKind::kPointwiseConv2d:
      return window * in.c * out.c;
    case OpKind::kDepthwiseConv2d:
      return window * out.c;
    case OpKind::kFullyConnected:
      return static_cast<int64_t>(in.Elements()) * out.c;
    case OpKind::kAdd:
    case OpKind::kGlobalAvgPool:
    case OpKind::kAvgPool2d:
    case OpKind::kMaxPool2d:
    case OpKind::kSoftmax:
      return 0;
  }
  return 0;
}

int64_t Graph::MacsPerOutputPixel(const Op& op) const {
  return core::MacsPerOutputPixel(op.kind, op.kernel, op.KernelW(), InputOf(op).shape, OutputOf(op).shape);
}

int64_t Graph::Macs(const Op& op) const {
  const Shape& out = OutputOf(op).shape;
  return MacsPerOutputPixel(op) * out.h * out.w;
}

int64_t Graph::WeightCount(const Op& op) const {
  // Every weight is used exactly once per output position: conv k*k*Cin*Cout, depthwise k*k*C,
  // fully connected in*out.
  return Traits(op.kind).has_weights ? MacsPerOutputPixel(op) : 0;
}

int64_t Graph::BiasCount(const Op& op) const { return Traits(op.kind).has_weights ? OutputOf(op).shape.c : 0; }

int64_t Graph::TotalMacs() const {
  int64_t total = 0;
  for (const Op& op : ops_) total += Macs(op);
  return total;
}

int64_t Graph::TotalParams() const {
  int64_t total = 0;
  for (const Op& op : ops_) total += WeightCount(op) + BiasCount(op);
  return total;
}

Status Graph::Validate() const {
  const int num_tensors = static_cast<int>(tensors_.size());
  if (input_ < 0 || input_ >= num_tensors) return Status::Fail("graph: input tensor not set");
  if (output_ < 0 || output_ >= num_tensors) return Status::Fail("graph: output tensor not set");
  if (ops_.empty()) return Status::Fail("graph: no ops");
  for (size_t i = 0; i < ops_.size(); ++i) {
    Status status = ValidateOp(i);
    if (!status.ok()) return status;
  }
  if (Producer(output_) < 0) return Status::Fail("graph: output tensor is not produced by any op");
  return Status::Ok();
}

Status Graph::ValidateOp(size_t index) const {
  const Op& op = ops_[index];
  const OpKindTraits& traits = Traits(op.kind);
  auto fail = [&](const std::string& what) {
    return Status::Fail("graph: op " + std::to_string(index) + " '" + op.name + "' (" + std::string(traits.name) +
                        "): " + what);
  };
  const int num_tensors = static_cast<int>(tensors_.size());
  if (static_cast<int>(op.inputs.size()) != traits.num_inputs) {
    return fail("expects " + std::to_string(traits.num_inputs) + " inputs, has " + std::to_string(op.inputs.size()));
  }
  if (op.output < 0 || op.output >= num_tensors) return fail("output tensor id out of range");
  if (op.output == input_) return fail("writes the graph input");
  if (op.weights == WeightLayout::kWide && !HasWideKernel(op.kind, KernelSet::kOptimized)) {
    return fail("only a pointwise op can store its weights wide");
  }
  for (size_t j = 0; j < index; ++j) {
    if (ops_[j].output == op.output) return fail("output tensor already written by op " + ops_[j].name);
  }
  for (int t : op.inputs) {
    if (t < 0 || t >= num_tensors) return fail("input tensor id out of range");
    if (t == input_) continue;
    const int producer = Producer(t);
    if (producer < 0 || producer >= static_cast<int>(index)) {
      return fail("input '" + tensors_[t].name + "' is not produced by an earlier op");
    }
  }
  return ValidateShapes(op, fail);
}

Status Graph::ValidateShapes(const Op& op, const std::function<Status(const std::string&)>& fail) const {
  const auto bad_axis = [&](int kernel, int padding, int padding_end) {
    return kernel < 1 || padding < 0 || padding_end < 0 || padding >= kernel || padding_end >= kernel;
  };
  if (op.stride < 1 || op.padding_end < -1 || op.kernel_w < -1 || op.padding_w < -1 || op.padding_w_end < -1 ||
      bad_axis(op.kernel, op.padding, op.PaddingEnd()) || bad_axis(op.KernelW(), op.PaddingW(), op.PaddingWEnd())) {
    return fail("bad kernel/stride/padding");
  }
  if (!op.SquareWindow() && op.kind != OpKind::kConv2d) {
    return fail("a window of other columns than rows (" + std::to_string(op.kernel) + "x" +
                std::to_string(op.KernelW()) + ") is taken by conv2d only");
  }
  const Shape& in = InputOf(op).shape;
  const Shape& out = OutputOf(op).shape;
  if (in.Elements() <= 0 || out.Elements() <= 0) return fail("empty tensor");
  if (Traits(op.kind).window) {
    const int h = WindowOutputSize(in.h, op.kernel, op.stride, op.padding, op.PaddingEnd());
    const int w = WindowOutputSize(in.w, op.KernelW(), op.stride, op.PaddingW(), op.PaddingWEnd());
    if (out.h != h || out.w != w) {
      return fail("output " + out.ToString() + " does not follow from input " + in.ToString());
    }
  }
  switch (op.kind) {
    case OpKind::kPointwiseConv2d:
      if (op.kernel != 1 || op.stride != 1 || op.padding != 0 || op.PaddingEnd() != 0) {
        return fail("must be 1x1, stride 1");
      }
      break;
    case OpKind::kDepthwiseConv2d:
    case OpKind::kAvgPool2d:
    case OpKind::kMaxPool2d:
      if (in.c != out.c) return fail("channel count changes");
      break;
    case OpKind::kAdd:
      if (tensor(op.inputs[1]).shape != in || out != in) return fail("operand shapes differ");
      break;
    case OpKind::kGlobalAvgPool:
      if (out != Shape{1, 1, in.c}) return fail("output must be 1x1x" + std::to_string(in.c));
      break;
    case OpKind::kFullyConnected:
      if (out.h != 1 || out.w != 1) return fail("output must be 1x1xN");
      break;
    case OpKind::kSoftmax:
      if (out != in) return fail("output shape differs from the input's");
      break;
    case OpKind::kConv2d:
      break;
  }
  return Status::Ok();
}

Graph WithPointwiseWeights(Graph graph, WeightLayout layout) {
  for (int i = 0; i < static_cast<int>(graph.ops().size()); ++i) {
    if (HasWideKernel(graph.op(i).kind, KernelSet::kOptimized)) graph.mutable_op(i).weights = layout;
  }
  return graph;
}

int CountOps(const Graph& graph, OpKind kind) {
  return static_cast<int>(
      std::count_if(graph.ops().begin(), graph.ops().end(), [kind](const Op& op) { return op.kind == kind; }));
}

int CountWideLayers(const Graph& graph) {
  return static_cast<int>(std::count_if(graph.ops().begin(), graph.ops().end(),
                                        [](const Op& op) { return op.weights == WeightLayout::kWide; }));
}

}  // namespace kilonas::core
