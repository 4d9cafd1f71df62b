// The Graph IR shared by every library: tensors (shape, dtype, quantization) and ops in execution
// order. It carries no weights; weight and bias counts follow from op parameters.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/op_kind.h"
#include "core/receptive_field.h"
#include "core/status.h"

namespace kilonas::core {

enum class DType { kInt8, kInt32, kFloat32 };
int BytesPerElement(DType dtype);
std::string_view DTypeName(DType dtype);

// Activation shape of one image (batch 1), stored NHWC.
struct Shape {
  int h = 1;
  int w = 1;
  int c = 1;
  int64_t Elements() const { return static_cast<int64_t>(h) * w * c; }
  bool operator==(const Shape& o) const { return h == o.h && w == o.w && c == o.c; }
  bool operator!=(const Shape& o) const { return !(*this == o); }
  std::string ToString() const;
};

// Per-tensor (one entry) or per-channel quantization. Empty until the quantizer fills it.
struct QuantParams {
  std::vector<float> scales;
  std::vector<int32_t> zero_points;
};

struct Tensor {
  std::string name;
  Shape shape;
  DType dtype = DType::kInt8;
  QuantParams quant;
  int64_t Bytes() const { return shape.Elements() * BytesPerElement(dtype); }
};

// How an op's weights are stored. kWide (pointwise only, optimized kernels): sign-extended to
// int16 in the order the wide SMLAD kernel reads them (kernels_dsp_wide.c): twice the flash of
// int8, fewer instructions. Chosen per layer against the flash budget (ChooseWeightLayouts).
enum class WeightLayout { kInt8, kWide };
std::string_view WeightLayoutName(WeightLayout layout);  // "int8", "wide"

// Tensor and op names: 1 to 128 letters, digits and _ . : - (names end up in generated C and
// reports; a file from elsewhere must not bring code or markup with them).
inline constexpr size_t kMaxNameLength = 128;
bool IsSafeName(const std::string& name);
// `text` as a safe name: every other character becomes '_', cut to the length; "" -> `fallback`.
std::string SafeNameFrom(const std::string& text, const std::string& fallback);

// The largest window and stride a graph file may hold (model files from elsewhere are read with
// them; microcontroller models stay far below).
inline constexpr int kMaxKernel = 15;
inline constexpr int kMaxStride = 4;

struct Op {
  OpKind kind = OpKind::kConv2d;
  std::string name;
  std::vector<int> inputs;  // tensor ids
  int output = -1;          // tensor id
  int kernel = 1;
  int stride = 1;
  int padding = 0;  // zero padding before the first row and column (and after the last: padding_end)
  Activation activation = Activation::kNone;
  int block = -1;  // inverted-residual block this op belongs to; -1 for stem and head
  WeightLayout weights = WeightLayout::kInt8;
  // Zero padding after the last row and column; -1: as `padding`. TensorFlow's SAME padding puts
  // the odd one after (a stride-2 3x3 window on 96 rows: 0 before, 1 after). Kernels read padding
  // by bounds against the input; the in-place depthwise kernels build a padded copy with this
  // ring after it (kilonas_conv_params.pad_end), the same after the rows and the columns
  // (memory_planner's InPlaceAllowed).
  int padding_end = -1;
  // The columns' window where it differs from the rows' (kernel, padding, padding_end describe
  // rows and, unset, columns too): TFLite's keyword-spotting models convolve 10x8 and 10x4
  // windows. -1: as the rows'. Only a general convolution takes them (Graph::Validate); the
  // stride is the same along both axes.
  int kernel_w = -1;
  int padding_w = -1;
  int padding_w_end = -1;

  int PaddingEnd() const { return padding_end < 0 ? padding : padding_end; }
  int KernelW() const { return kernel_w < 0 ? kernel : kernel_w; }
  int PaddingW() const { return padding_w < 0 ? padding : padding_w; }
  int PaddingWEnd() const { return padding_w_end < 0 ? (padding_w < 0 ? PaddingEnd() : padding_w) : padding_w_end; }
  // The same kernel and leading padding along both axes: all that kernels other than conv2d's
  // take (kernels read trailing padding by bounds; it only sizes the output).
  bool SquareWindow() const { return KernelW() == kernel && PaddingW() == padding; }
};

// Multiply-accumulates per output position of an op of `kind` with a kernel_h x kernel_w window,
// which is also its weight count: conv kh*kw*Cin*Cout, depthwise kh*kw*C, fully connected in*out;
// 0 for ops without weights. The one MACs formula (graphs, LUT keys and benchmarks all call it).
int64_t MacsPerOutputPixel(OpKind kind, int kernel_h, int kernel_w, const Shape& in, const Shape& out);

class Graph {
 public:
  int AddTensor(Tensor tensor);
  int AddOp(Op op);  // ops are executed in the order they are added
  void SetInput(int tensor) { input_ = tensor; }
  void SetOutput(int tensor) { output_ = tensor; }

  const std::vector<Tensor>& tensors() const { return tensors_; }
  const std::vector<Op>& ops() const { return ops_; }
  const Tensor& tensor(int id) const { return tensors_.at(id); }
  Tensor& mutable_tensor(int id) { return tensors_.at(id); }
  const Op& op(int index) const { return ops_.at(index); }
  Op& mutable_op(int index) { return ops_.at(index); }  // e.g. to choose its weight layout
  int input() const { return input_; }
  int output() const { return output_; }
  const Tensor& InputOf(const Op& op, int i = 0) const { return tensors_.at(op.inputs.at(i)); }
  const Tensor& OutputOf(const Op& op) const { return tensors_.at(op.output); }

  // Checks ids, execution order (every input produced earlier) and shape arithmetic of each op.
  Status Validate() const;

  // Index of the op producing `tensor`, or -1 for the graph input.
  int Producer(int tensor) const;
  // For each tensor, the indices of the ops reading it, in execution order.
  std::vector<std::vector<int>> Consumers() const;

  int64_t MacsPerOutputPixel(const Op& op) const;  // multiply-accumulates per output position
  int64_t Macs(const Op& op) const;                // conv, depthwise, pointwise and FC only
  int64_t WeightCount(const Op& op) const;
  int64_t BiasCount(const Op& op) const;  // one per output channel for ops with weights
  int64_t TotalMacs() const;
  int64_t TotalParams() const;  // weights + biases, as published model statistics count them

 private:
  Status ValidateOp(size_t index) const;
  // Kernel, stride, padding and the shapes their kind requires; `fail` names the op.
  Status ValidateShapes(const Op& op, const std::function<Status(const std::string&)>& fail) const;

  std::vector<Tensor> tensors_;
  std::vector<Op> ops_;
  int input_ = -1;
  int output_ = -1;
};

// `graph` with every pointwise op's weights stored as `layout` (the other ops' are always int8).
Graph WithPointwiseWeights(Graph graph, WeightLayout layout);
int CountOps(const Graph& graph, OpKind kind);
int CountWideLayers(const Graph& graph);  // ops whose weights are stored wide

}  // namespace kilonas::core
