#include "tflite/tflite_model.h"

#include <array>
#include <cmath>

#include "core/file_io.h"
#include "tflite/schema_generated.h"

namespace kilonas::tflite {
namespace {

// The format's builtin operator names, by code.
constexpr std::array<const char*, 127> kBuiltinNames = {"ADD",
                                                        "AVERAGE_POOL_2D",
                                                        "CONCATENATION",
                                                        "CONV_2D",
                                                        "DEPTHWISE_CONV_2D",
                                                        "DEPTH_TO_SPACE",
                                                        "DEQUANTIZE",
                                                        "EMBEDDING_LOOKUP",
                                                        "FLOOR",
                                                        "FULLY_CONNECTED",
                                                        "HASHTABLE_LOOKUP",
                                                        "L2_NORMALIZATION",
                                                        "L2_POOL_2D",
                                                        "LOCAL_RESPONSE_NORMALIZATION",
                                                        "LOGISTIC",
                                                        "LSH_PROJECTION",
                                                        "LSTM",
                                                        "MAX_POOL_2D",
                                                        "MUL",
                                                        "RELU",
                                                        "RELU_N1_TO_1",
                                                        "RELU6",
                                                        "RESHAPE",
                                                        "RESIZE_BILINEAR",
                                                        "RNN",
                                                        "SOFTMAX",
                                                        "SPACE_TO_DEPTH",
                                                        "SVDF",
                                                        "TANH",
                                                        "CONCAT_EMBEDDINGS",
                                                        "SKIP_GRAM",
                                                        "CALL",
                                                        "CUSTOM",
                                                        "EMBEDDING_LOOKUP_SPARSE",
                                                        "PAD",
                                                        "UNIDIRECTIONAL_SEQUENCE_RNN",
                                                        "GATHER",
                                                        "BATCH_TO_SPACE_ND",
                                                        "SPACE_TO_BATCH_ND",
                                                        "TRANSPOSE",
                                                        "MEAN",
                                                        "SUB",
                                                        "DIV",
                                                        "SQUEEZE",
                                                        "UNIDIRECTIONAL_SEQUENCE_LSTM",
                                                        "STRIDED_SLICE",
                                                        "BIDIRECTIONAL_SEQUENCE_RNN",
                                                        "EXP",
                                                        "TOPK_V2",
                                                        "SPLIT",
                                                        "LOG_SOFTMAX",
                                                        "DELEGATE",
                                                        "BIDIRECTIONAL_SEQUENCE_LSTM",
                                                        "CAST",
                                                        "PRELU",
                                                        "MAXIMUM",
                                                        "ARG_MAX",
                                                        "MINIMUM",
                                                        "LESS",
                                                        "NEG",
                                                        "PADV2",
                                                        "GREATER",
                                                        "GREATER_EQUAL",
                                                        "LESS_EQUAL",
                                                        "SELECT",
                                                        "SLICE",
                                                        "SIN",
                                                        "TRANSPOSE_CONV",
                                                        "SPARSE_TO_DENSE",
                                                        "TILE",
                                                        "EXPAND_DIMS",
                                                        "EQUAL",
                                                        "NOT_EQUAL",
                                                        "LOG",
                                                        "SUM",
                                                        "SQRT",
                                                        "RSQRT",
                                                        "SHAPE",
                                                        "POW",
                                                        "ARG_MIN",
                                                        "FAKE_QUANT",
                                                        "REDUCE_PROD",
                                                        "REDUCE_MAX",
                                                        "PACK",
                                                        "LOGICAL_OR",
                                                        "ONE_HOT",
                                                        "LOGICAL_AND",
                                                        "LOGICAL_NOT",
                                                        "UNPACK",
                                                        "REDUCE_MIN",
                                                        "FLOOR_DIV",
                                                        "REDUCE_ANY",
                                                        "SQUARE",
                                                        "ZEROS_LIKE",
                                                        "FILL",
                                                        "FLOOR_MOD",
                                                        "RANGE",
                                                        "RESIZE_NEAREST_NEIGHBOR",
                                                        "LEAKY_RELU",
                                                        "SQUARED_DIFFERENCE",
                                                        "MIRROR_PAD",
                                                        "ABS",
                                                        "SPLIT_V",
                                                        "UNIQUE",
                                                        "CEIL",
                                                        "REVERSE_V2",
                                                        "ADD_N",
                                                        "GATHER_ND",
                                                        "COS",
                                                        "WHERE",
                                                        "RANK",
                                                        "ELU",
                                                        "REVERSE_SEQUENCE",
                                                        "MATRIX_DIAG",
                                                        "QUANTIZE",
                                                        "MATRIX_SET_DIAG",
                                                        "ROUND",
                                                        "HARD_SWISH",
                                                        "IF",
                                                        "WHILE",
                                                        "NON_MAX_SUPPRESSION_V4",
                                                        "NON_MAX_SUPPRESSION_V5",
                                                        "SCATTER_ND",
                                                        "SELECT_V2",
                                                        "DENSIFY",
                                                        "SEGMENT_SUM",
                                                        "BATCH_MATMUL"};

int64_t TypeBytes(int8_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::kInt8:
    case TensorType::kUint8:
      return 1;
    case TensorType::kInt16:
      return 2;
    case TensorType::kFloat32:
    case TensorType::kInt32:
      return 4;
    case TensorType::kInt64:
      return 8;
  }
  return 0;  // a type whose constants kilonas never reads
}

template <typename T>
std::vector<T> ToVector(const flatbuffers::Vector<T>* v) {
  return v ? std::vector<T>(v->begin(), v->end()) : std::vector<T>();
}

// Everything of one tensor; its constant data is copied once its buffer is known to fit.
core::Result<Tensor> ReadTensor(const fb::Tensor& t, int index, const fb::Model& model) {
  const std::string where = "tensor " + std::to_string(index);
  Tensor tensor;
  if (t.name()) tensor.name = t.name()->str();
  tensor.shape = ToVector(t.shape());
  tensor.type = static_cast<int8_t>(t.type());
  tensor.is_variable = t.is_variable();
  if (tensor.shape.size() > static_cast<size_t>(kMaxRank)) {
    return core::Error{where + " ('" + tensor.name + "'): rank " + std::to_string(tensor.shape.size()) + " over " +
                       std::to_string(kMaxRank)};
  }
  int64_t elements = 1;
  for (int32_t d : tensor.shape) {
    if (d < 0) return core::Error{where + " ('" + tensor.name + "'): negative dimension " + std::to_string(d)};
    elements *= d;
    if (elements > kMaxTensorElements) {
      return core::Error{where + " ('" + tensor.name + "'): more than " + std::to_string(kMaxTensorElements) +
                         " elements"};
    }
  }
  if (const fb::QuantizationParameters* q = t.quantization()) {
    tensor.scales = ToVector(q->scale());
    tensor.zero_points = ToVector(q->zero_point());
    tensor.quantized_dimension = q->quantized_dimension();
  }
  const uint32_t buffer = t.buffer();
  if (buffer >= model.buffers()->size()) {
    return core::Error{where + " ('" + tensor.name + "'): buffer " + std::to_string(buffer) + " of " +
                       std::to_string(model.buffers()->size())};
  }
  const fb::Buffer* b = model.buffers()->Get(buffer);
  if (b && b->offset() != 0) {
    return core::Error{where + " ('" + tensor.name +
                       "'): data stored outside the flatbuffer (offset buffers) is not "
                       "supported"};
  }
  if (b && b->data() && b->data()->size() > 0) {
    const int64_t bytes = TypeBytes(tensor.type);
    if (bytes > 0 && static_cast<int64_t>(b->data()->size()) != elements * bytes) {
      return core::Error{where + " ('" + tensor.name + "'): its buffer holds " + std::to_string(b->data()->size()) +
                         " bytes; shape and type need " + std::to_string(elements * bytes)};
    }
    tensor.data = ToVector(b->data());
  }
  return tensor;
}

// The scales must be finite and positive, one per channel or one for all, with as many zero
// points; an int8 zero point lies in [-128, 127].
core::Status CheckQuantization(const Tensor& t, int index) {
  const std::string where = "tensor " + std::to_string(index) + " ('" + t.name + "')";
  for (float s : t.scales) {
    if (!(std::isfinite(s) && s > 0)) return core::Status::Fail(where + ": scale " + std::to_string(s) + " is not > 0");
  }
  if (!t.scales.empty() && t.zero_points.size() != t.scales.size()) {
    return core::Status::Fail(where + ": " + std::to_string(t.scales.size()) + " scales but " +
                              std::to_string(t.zero_points.size()) + " zero points");
  }
  if (t.scales.size() > 1) {
    // A bias (rank 1) has one channel dimension whatever it records: some converters write the
    // weights' dimension there (person_detect's biases say 3), and TFLite Micro ignores it.
    const int32_t dim = t.shape.size() == 1 ? 0 : t.quantized_dimension;
    if (dim < 0 || static_cast<size_t>(dim) >= t.shape.size() ||
        t.shape[static_cast<size_t>(dim)] != static_cast<int32_t>(t.scales.size())) {
      return core::Status::Fail(where + ": " + std::to_string(t.scales.size()) +
                                " scales do not match quantized dimension " + std::to_string(dim));
    }
  }
  if (t.type == static_cast<int8_t>(TensorType::kInt8)) {
    for (int64_t z : t.zero_points) {
      if (z < -128 || z > 127) {
        return core::Status::Fail(where + ": zero point " + std::to_string(z) + " outside the int8 range");
      }
    }
  }
  return core::Status::Ok();
}

void ReadOptions(const fb::Operator& o, Operator& op) {
  if (const fb::Conv2DOptions* c = o.builtin_options_as_Conv2DOptions()) {
    op.padding = static_cast<Padding>(c->padding());
    op.stride_w = c->stride_w(), op.stride_h = c->stride_h();
    op.dilation_w = c->dilation_w_factor(), op.dilation_h = c->dilation_h_factor();
    op.activation = static_cast<FusedActivation>(c->fused_activation_function());
  } else if (const fb::DepthwiseConv2DOptions* d = o.builtin_options_as_DepthwiseConv2DOptions()) {
    op.padding = static_cast<Padding>(d->padding());
    op.stride_w = d->stride_w(), op.stride_h = d->stride_h();
    op.dilation_w = d->dilation_w_factor(), op.dilation_h = d->dilation_h_factor();
    op.depth_multiplier = d->depth_multiplier();
    op.activation = static_cast<FusedActivation>(d->fused_activation_function());
  } else if (const fb::Pool2DOptions* p = o.builtin_options_as_Pool2DOptions()) {
    op.padding = static_cast<Padding>(p->padding());
    op.stride_w = p->stride_w(), op.stride_h = p->stride_h();
    op.filter_w = p->filter_width(), op.filter_h = p->filter_height();
    op.activation = static_cast<FusedActivation>(p->fused_activation_function());
  } else if (const fb::FullyConnectedOptions* f = o.builtin_options_as_FullyConnectedOptions()) {
    op.activation = static_cast<FusedActivation>(f->fused_activation_function());
    op.keep_num_dims = f->keep_num_dims();
    op.fc_weights_format = f->weights_format();
  } else if (const fb::SoftmaxOptions* s = o.builtin_options_as_SoftmaxOptions()) {
    op.softmax_beta = s->beta();
  } else if (const fb::AddOptions* a = o.builtin_options_as_AddOptions()) {
    op.activation = static_cast<FusedActivation>(a->fused_activation_function());
  } else if (const fb::ReshapeOptions* r = o.builtin_options_as_ReshapeOptions()) {
    op.new_shape = ToVector(r->new_shape());
  } else if (const fb::ReducerOptions* m = o.builtin_options_as_ReducerOptions()) {
    op.keep_dims = m->keep_dims();
  } else if (const fb::SqueezeOptions* q = o.builtin_options_as_SqueezeOptions()) {
    op.squeeze_dims = ToVector(q->squeeze_dims());
  }
}

core::Result<Operator> ReadOperator(const fb::Operator& o, int index, const fb::Model& model, size_t num_tensors) {
  Operator op;
  op.index = index;
  const uint32_t code_index = o.opcode_index();
  if (!model.operator_codes() || code_index >= model.operator_codes()->size()) {
    return core::Error{"operator " + std::to_string(index) + ": operator code " + std::to_string(code_index) +
                       " out of range"};
  }
  const fb::OperatorCode* code = model.operator_codes()->Get(code_index);
  // Files written before the 32-bit field keep the code in the deprecated byte.
  op.builtin = std::max<int32_t>(code->builtin_code(), code->deprecated_builtin_code());
  if (code->custom_code()) op.custom = code->custom_code()->str();
  op.version = code->version();
  op.inputs = ToVector(o.inputs());
  op.outputs = ToVector(o.outputs());
  for (const std::vector<int32_t>* list : {&op.inputs, &op.outputs}) {
    for (int32_t t : *list) {
      if (t < -1 || t >= static_cast<int32_t>(num_tensors) || (t == -1 && list == &op.outputs)) {
        return core::Error{op.Describe() + ": tensor index " + std::to_string(t) + " out of range (" +
                           std::to_string(num_tensors) + " tensors)"};
      }
    }
  }
  ReadOptions(o, op);
  return op;
}

core::Result<Model> ReadVerified(const fb::Model& m) {
  Model model;
  model.version = m.version();
  if (model.version != 3) return core::Error{"schema version " + std::to_string(model.version) + ", expected 3"};
  if (m.description()) model.description = m.description()->str();
  if (!m.subgraphs() || m.subgraphs()->size() != 1) {
    return core::Error{std::to_string(m.subgraphs() ? m.subgraphs()->size() : 0) +
                       " subgraphs; kilonas reads models of exactly one (no control flow)"};
  }
  if (!m.buffers()) return core::Error{"no buffers"};
  const fb::SubGraph& g = *m.subgraphs()->Get(0);
  if (!g.tensors() || !g.operators()) return core::Error{"the subgraph has no tensors or no operators"};
  for (flatbuffers::uoffset_t i = 0; i < g.tensors()->size(); ++i) {
    core::Result<Tensor> t = ReadTensor(*g.tensors()->Get(i), static_cast<int>(i), m);
    if (!t.ok()) return t.error();
    if (core::Status s = CheckQuantization(t.value(), static_cast<int>(i)); !s.ok()) return s.error();
    model.tensors.push_back(std::move(t).value());
  }
  for (flatbuffers::uoffset_t i = 0; i < g.operators()->size(); ++i) {
    core::Result<Operator> op = ReadOperator(*g.operators()->Get(i), static_cast<int>(i), m, model.tensors.size());
    if (!op.ok()) return op.error();
    model.operators.push_back(std::move(op).value());
  }
  model.inputs = ToVector(g.inputs());
  model.outputs = ToVector(g.outputs());
  if (model.inputs.empty() || model.outputs.empty()) return core::Error{"the subgraph has no inputs or no outputs"};
  for (const auto& [list, what] : {std::pair{&model.inputs, "input"}, std::pair{&model.outputs, "output"}}) {
    for (int32_t t : *list) {
      if (t < 0 || t >= static_cast<int32_t>(model.tensors.size())) {
        return core::Error{std::string("subgraph ") + what + " out of range"};
      }
    }
  }
  return model;
}

}  // namespace

std::string TensorTypeName(int8_t type) {
  switch (static_cast<TensorType>(type)) {
    case TensorType::kFloat32:
      return "FLOAT32";
    case TensorType::kInt32:
      return "INT32";
    case TensorType::kUint8:
      return "UINT8";
    case TensorType::kInt64:
      return "INT64";
    case TensorType::kInt16:
      return "INT16";
    case TensorType::kInt8:
      return "INT8";
  }
  return "type " + std::to_string(type);
}

std::string BuiltinName(int32_t code) {
  if (code >= 0 && static_cast<size_t>(code) < kBuiltinNames.size()) return kBuiltinNames[static_cast<size_t>(code)];
  return "BUILTIN_" + std::to_string(code);
}

int64_t Tensor::Elements() const {
  int64_t n = 1;
  for (int32_t d : shape) n *= d;
  return n;
}

std::string Operator::Describe() const {
  std::string text = "operator " + std::to_string(index) + " (" + BuiltinName(builtin);
  if (builtin == static_cast<int32_t>(Builtin::kCustom)) text += " '" + custom + "'";
  return text + ")";
}

core::Result<Model> ParseModel(const std::vector<uint8_t>& bytes, const std::string& path) {
  if (bytes.size() < 8 || !fb::ModelBufferHasIdentifier(bytes.data())) {
    return core::Error{path + ": not a .tflite file (no \"TFL3\" identifier)"};
  }
  flatbuffers::Verifier verifier(bytes.data(), bytes.size());
  if (!fb::VerifyModelBuffer(verifier)) {
    return core::Error{path + ": the flatbuffer does not verify (truncated or corrupt file)"};
  }
  core::Result<Model> model = ReadVerified(*fb::GetModel(bytes.data()));
  if (!model.ok()) return core::Error{path + ": " + model.error().message};
  return model;
}

core::Result<Model> LoadModel(const std::string& path) {
  core::Result<std::string> text = core::ReadTextFile(path);
  if (!text.ok()) return text.error();
  return ParseModel(std::vector<uint8_t>(text.value().begin(), text.value().end()), path);
}

}  // namespace kilonas::tflite
