#include "ondevice/training_codegen.h"

#include <cstdio>
#include <sstream>

#include "engine/schedule.h"
#include "kilonas_train.h"

namespace kilonas::ondevice {
namespace {

// A float as a C99 hexadecimal literal: the exact bits the host uses.
std::string Float(float v) {
  char text[48];
  std::snprintf(text, sizeof text, "%af", static_cast<double>(v));
  return text;
}

std::string FloatArray(const std::string& name, const std::vector<float>& values) {
  std::ostringstream out;
  out << "static const float " << name << "[" << std::max<size_t>(values.size(), 1) << "] = {";
  for (size_t i = 0; i < values.size(); ++i) out << (i % 8 == 0 ? "\n  " : " ") << Float(values[i]) << ",";
  if (values.empty()) out << "0";
  out << "\n};\n";
  return out.str();
}

template <typename T>
std::vector<int64_t> Wide(const std::vector<T>& v) {
  return std::vector<int64_t>(v.begin(), v.end());
}

std::string At(int64_t offset) { return offset < 0 ? "0" : "(A + " + std::to_string(offset) + ")"; }
std::string FloatsAt(int64_t offset) { return "((float*)" + At(offset) + ")"; }

// The constants of an op with weights and the first pointers of its forward parameter block:
// a trainable op's plain arrays (the reference kernel reads its weights and biases from their
// arena copies); a frozen op's as its optimized kernel reads them (padded weights, channel words).
// `weights` is what the backward kernels read: the copy, or plain int8 weights in flash.
struct WeightedText {
  std::string pointers = "0, 0, 0, 0, 0", weights = "0";
};
WeightedText WeightedBlocks(std::ostringstream& c, const engine::Model& model, const TrainingProgram& p, int i) {
  const TrainingLayout& l = p.layout;
  const engine::OpConstants& k = model.constants[static_cast<size_t>(i)];
  const engine::Kernel kernel = p.forward_kernel[static_cast<size_t>(i)];
  const std::string n = std::to_string(i);
  WeightedText t;
  const bool trains = l.weight_copy[i] >= 0 || l.bias_copy[i] >= 0;
  const engine::KernelConstants kc = engine::ConstantsFor(model, i, kernel);
  const bool plain_layout = core::KernelInfo(kernel).constants == core::KernelConstants::kPlain ||
                            core::KernelInfo(kernel).constants == core::KernelConstants::kChannelWords;
  c << engine::CArray("int8_t", "w" + n, Wide(kc.weights),
                      core::KernelInfo(kernel).constants == core::KernelConstants::kWide);
  if (!plain_layout && p.training.ops[static_cast<size_t>(i)].Backward()) {
    c << engine::CArray("int8_t", "wp" + n, Wide(k.weights));  // the backward kernels' plain int8
  }
  t.weights = l.weight_copy[i] >= 0 ? "(const int8_t*)" + At(l.weight_copy[i]) : (plain_layout ? "w" : "wp") + n;
  if (engine::UsesChannelWords(kernel) && !trains) {
    c << engine::CArray("int32_t", "ch" + n, Wide(kc.channels));
    t.pointers = "w" + n + ", 0, 0, 0, ch" + n;
  } else {
    c << engine::CArray("int32_t", "b" + n, Wide(k.bias)) << engine::CArray("int32_t", "m" + n, Wide(k.multiplier))
      << engine::CArray("int32_t", "s" + n, Wide(k.shift));
    const std::string bias = l.bias_copy[i] >= 0 ? "(const int32_t*)" + At(l.bias_copy[i]) : "b" + n;
    t.pointers = t.weights + ", " + bias + ", m" + n + ", s" + n + ", 0";
  }
  if (trains) {
    const SgdSteps sgd = SgdStepsOf(model, p.scheme, i);
    c << FloatArray("sw" + n, sgd.weight) << FloatArray("sb" + n, sgd.bias);
  }
  return t;
}

// Op i's constants in flash, and its parameter blocks: the forward kernel's and the backward
// kernels'.
void OpBlocks(std::ostringstream& c, const engine::Model& model, const TrainingProgram& p, int i) {
  const core::Graph& g = model.graph;
  const core::Op& op = g.op(i);
  const std::string n = std::to_string(i);
  c << "/* op " << i << " " << engine::CommentText(op.name) << ": " << core::Traits(op.kind).name << " */\n";
  WeightedText weighted;
  std::string scales = "0";
  if (core::Traits(op.kind).has_weights) {
    weighted = WeightedBlocks(c, model, p, i);
    if (p.training.ops[static_cast<size_t>(i)].Backward()) {
      c << FloatArray("ws" + n, engine::WeightScalesOf(model, i));
      scales = "ws" + n;
    }
  }
  const std::string& pointers = weighted.pointers;
  const std::string& weights = weighted.weights;
  switch (core::Traits(op.kind).params) {
    case core::ParamBlock::kConv:
      c << "static const kilonas_conv_params cp" << n << " = "
        << engine::ConvParamsText(engine::ConvParams(model, i), pointers) << ";\n";
      break;
    case core::ParamBlock::kAdd:
      c << "static const kilonas_add_params ap" << n << " = "
        << engine::AddParamsText(engine::AddParams(model, i, op.inputs[0])) << ";\n";
      break;
    case core::ParamBlock::kPool:
      c << "static const kilonas_pool_params pp" << n << " = " << engine::PoolParamsText(engine::PoolParams(model, i))
        << ";\n";
      break;
    case core::ParamBlock::kNone:
      break;
  }
  if (!p.training.ops[static_cast<size_t>(i)].Backward()) return;
  const kilonas_grad_params gp = GradParamsOf(model, p.training, i, nullptr, nullptr);
  c << "static const kilonas_grad_params gp" << n << " = {" << weights << ", " << scales << ", "
    << Float(gp.input_scale) << ", " << gp.input_zero << ", " << gp.kernel << ", " << gp.kernel_w << ", " << gp.stride
    << ", " << gp.pad << ", " << gp.pad_w << ", " << gp.in_h << ", " << gp.in_w << ", " << gp.in_c << ", " << gp.out_h
    << ", " << gp.out_w << ", " << gp.out_c << ", " << gp.channels << "};\n";
}

std::string ForwardCall(const engine::Model& model, const TrainingProgram& p, int i) {
  const TrainingLayout& l = p.layout;
  const core::Graph& g = model.graph;
  const core::Op& op = g.op(i);
  const std::string n = std::to_string(i);
  const core::Shape& in = g.InputOf(op).shape;
  const core::Shape& out = g.OutputOf(op).shape;
  const kilonas_view iv{in.h, in.w, in.c, 0, 0}, ov{out.h, out.w, out.c, 0, 0};
  std::ostringstream c;
  c << "  { /* " << engine::CommentText(op.name) << " */\n    static const kilonas_view iv = " << engine::ViewText(iv)
    << ", ov = " << engine::ViewText(ov);
  if (op.inputs.size() > 1) {
    const core::Shape& in2 = g.InputOf(op, 1).shape;
    c << ", iv2 = " << engine::ViewText({in2.h, in2.w, in2.c, 0, 0});
  }
  c << ";\n    static const kilonas_rect r = " << engine::RectText({0, 0, out.h, out.w})
    << ";\n    (void)iv;\n    (void)ov;\n    (void)r;\n";
  const engine::CallOperands operands{"&cp" + n,
                                      "&ap" + n,
                                      "&pp" + n,
                                      At(l.value[op.inputs[0]]),
                                      op.inputs.size() > 1 ? At(l.value[op.inputs[1]]) : "0",
                                      At(l.value[op.output]),
                                      At(l.scratch[i])};
  c << "    " << engine::KernelCall(p.forward_kernel[static_cast<size_t>(i)], operands, iv, ov) << "\n  }\n";
  return c.str();
}

std::string BackwardCall(const engine::Model& model, const TrainingProgram& p, const TrainStep& s) {
  const core::Graph& g = model.graph;
  const TrainingLayout& l = p.layout;
  const core::Op& op = g.op(s.op);
  const core::Shape& out = g.OutputOf(op).shape;
  const std::string n = std::to_string(s.op), dy = FloatsAt(l.gradient[op.output]);
  const std::string x = At(l.value[op.inputs[0]]);
  std::ostringstream c;
  switch (s.kind) {
    case TrainStepKind::kGateApply: {
      const GateBounds gate = GateOf(model, s.op);
      if (l.gate[s.op] >= 0) {
        c << "  kilonas_gate_apply((const uint8_t*)" << At(l.gate[s.op]) << ", " << out.Elements() << ", " << dy
          << ");\n";
      } else {
        c << "  kilonas_gate_apply_values(" << At(l.value[op.output]) << ", " << out.Elements() << ", " << gate.lo
          << ", " << gate.hi << ", " << dy << ");\n";
      }
      break;
    }
    case TrainStepKind::kGradInput:
      c << "  " << core::TrainKernelInfo(core::FindTrainKernel(op.kind, core::GradPart::kInput)).symbol << "(&gp" << n
        << ", " << x << ", " << dy << ", " << FloatsAt(l.gradient[op.inputs[static_cast<size_t>(s.input)]]) << ");\n";
      break;
    case TrainStepKind::kZeroParams:
      c << "  if (sample_in_batch == 0) {\n";
      if (l.weight_gradient[s.op] >= 0) {
        c << "    memset(" << At(l.weight_gradient[s.op]) << ", 0, "
          << WeightGradientValues(g, s.op, p.training.ops[static_cast<size_t>(s.op)]) * 4 << ");\n";
      }
      if (l.bias_gradient[s.op] >= 0) c << "    memset(" << At(l.bias_gradient[s.op]) << ", 0, " << out.c * 4 << ");\n";
      c << "  }\n";
      break;
    case TrainStepKind::kGradWeight:
      c << "  " << core::TrainKernelInfo(core::FindTrainKernel(op.kind, core::GradPart::kWeight)).symbol << "(&gp" << n
        << ", " << x << ", " << dy << ", " << FloatsAt(l.weight_gradient[s.op]) << ");\n";
      break;
    case TrainStepKind::kBiasGrad:
      c << "  kilonas_bias_grad(" << dy << ", " << out.h * out.w << ", " << out.c << ", " << out.c << ", "
        << FloatsAt(l.bias_gradient[s.op]) << ");\n";
      break;
    default:
      break;
  }
  return c.str();
}

std::string UpdateCall(const engine::Model& model, const TrainingProgram& p, int i) {
  const core::Graph& g = model.graph;
  const TrainingLayout& l = p.layout;
  const OpTraining& o = p.training.ops[static_cast<size_t>(i)];
  const std::string n = std::to_string(i);
  const int32_t cout = g.OutputOf(g.op(i)).shape.c;
  const int64_t per_channel = g.WeightCount(g.op(i)) / cout;
  const bool depthwise = g.op(i).kind == core::OpKind::kDepthwiseConv2d;
  std::ostringstream c;
  c << "  if (sample_in_batch == KILONAS_TRAIN_BATCH - 1) {\n";
  if (o.weight_channels > 0) {
    c << "    kilonas_sgd_weights((int8_t*)" << At(l.weight_copy[i]) << ", " << FloatsAt(l.weight_gradient[i]) << ", sw"
      << n << ", " << o.weight_channels << ", " << per_channel << ", " << (depthwise ? 1 : per_channel) << ", "
      << (depthwise ? cout : 1) << ", " << (p.scheme.stochastic_rounding ? "&kilonas_sgd_rounding" : "0") << ");\n";
  }
  if (o.bias_grad) {
    c << "    kilonas_sgd_bias((int32_t*)" << At(l.bias_copy[i]) << ", " << FloatsAt(l.bias_gradient[i]) << ", sb" << n
      << ", " << cout << ", " << SgdStepsOf(model, p.scheme, i).bias_limit << ");\n";
  }
  c << "  }\n";
  return c.str();
}

std::string StepCall(const engine::Model& model, const TrainingProgram& p, const TrainStep& s) {
  const core::Graph& g = model.graph;
  const TrainingLayout& l = p.layout;
  switch (s.kind) {
    case TrainStepKind::kForward:
      return ForwardCall(model, p, s.op);
    case TrainStepKind::kGateMake: {
      const GateBounds gate = GateOf(model, s.op);
      const int out = g.op(s.op).output;
      return "  kilonas_gate_make(" + At(l.value[out]) + ", " + std::to_string(g.tensor(out).shape.Elements()) + ", " +
             std::to_string(gate.lo) + ", " + std::to_string(gate.hi) + ", (uint8_t*)" + At(l.gate[s.op]) + ");\n";
    }
    case TrainStepKind::kZero:
      return "  memset(" + At(l.gradient[s.tensor]) + ", 0, " +
             std::to_string(g.tensor(s.tensor).shape.Elements() * 4) + ");\n";
    case TrainStepKind::kLoss: {
      const int z = p.training.loss_tensor;
      return "  loss = kilonas_softmax_xent_grad(" + At(l.value[z]) + ", " +
             std::to_string(g.tensor(z).shape.Elements()) + ", " + Float(engine::TensorScale(g.tensor(z))) +
             ", label, " + FloatsAt(l.gradient[z]) + ");\n";
    }
    case TrainStepKind::kUpdate:
      return UpdateCall(model, p, s.op);
    case TrainStepKind::kGateApply:
    case TrainStepKind::kGradInput:
    case TrainStepKind::kZeroParams:
    case TrainStepKind::kGradWeight:
    case TrainStepKind::kBiasGrad:
      return BackwardCall(model, p, s);
  }
  return "";
}

std::string Header(const engine::Model& model, const TrainingProgram& p, const std::string& network) {
  const core::Graph& g = model.graph;
  std::ostringstream h;
  h << "/* Generated by kilonas: the training step of " << engine::CommentText(network) << ". Do not edit. */\n"
    << "#ifndef KILONAS_TRAIN_STEP_H_\n#define KILONAS_TRAIN_STEP_H_\n\n#include <stdint.h>\n\n"
    << "#define KILONAS_TRAIN_ARENA_BYTES " << p.layout.arena_bytes << "\n"
    << "#define KILONAS_TRAIN_INPUT_BYTES " << g.tensor(g.input()).shape.Elements() << "\n"
    << "#define KILONAS_TRAIN_BATCH " << p.scheme.batch_size << "\n\n"
    << "/* Copies the trainable parameters from flash into the arena and sets its canary. */\n"
    << "void kilonas_train_init(void);\n"
    << "/* One sample (int8 HWC) with its class: forward, loss (returned), backward; the update with "
       "the batch's last sample. */\n"
    << "float kilonas_train_step(const int8_t* input, int32_t label, int32_t sample_in_batch);\n"
    << "/* 1 while the canary after the arena is as written. */\nint kilonas_train_arena_intact(void);\n"
    << "/* FNV-1a over the trainable parameters (op order; weights, then biases). */\n"
    << "uint32_t kilonas_train_checksum(void);\n\n#endif\n";
  return h.str();
}

void InitAndChecksum(std::ostringstream& c, const engine::Model& model, const TrainingLayout& l) {
  std::ostringstream init, sum;
  for (size_t i = 0; i < model.constants.size(); ++i) {
    const engine::OpConstants& k = model.constants[i];
    if (l.weight_copy[i] >= 0) {
      init << "  memcpy(" << At(l.weight_copy[i]) << ", w" << i << ", " << k.weights.size() << ");\n";
      sum << "  h = kilonas_fnv1a(" << At(l.weight_copy[i]) << ", " << k.weights.size() << ", h);\n";
    }
    if (l.bias_copy[i] >= 0) {
      init << "  memcpy(" << At(l.bias_copy[i]) << ", b" << i << ", " << k.bias.size() * 4 << ");\n";
      sum << "  h = kilonas_fnv1a(" << At(l.bias_copy[i]) << ", " << k.bias.size() * 4 << ", h);\n";
    }
  }
  c << "void kilonas_train_init(void) {\n  int i;\n  kilonas_sgd_rounding = KILONAS_SGD_ROUNDING_SEED;\n"
    << init.str() << "  for (i = 0; i < 4; ++i) kilonas_arena[KILONAS_ARENA_WORDS + i] = 0x5A5A5A5A;\n}\n\n"
    << "int kilonas_train_arena_intact(void) {\n  int i;\n  for (i = 0; i < 4; ++i) {\n"
    << "    if (kilonas_arena[KILONAS_ARENA_WORDS + i] != 0x5A5A5A5A) return 0;\n  }\n  return 1;\n}\n\n"
    << "uint32_t kilonas_train_checksum(void) {\n  uint32_t h = 2166136261u;\n"
    << sum.str() << "  return h;\n}\n\n";
}

}  // namespace

engine::GeneratedSources GenerateTrainingC(const engine::Model& model, const TrainingProgram& program,
                                           const std::string& network) {
  engine::GeneratedSources gen;
  gen.header = Header(model, program, network);
  std::ostringstream c;
  c << "/* Generated by kilonas: the training step of " << engine::CommentText(network) << ". Do not edit. */\n"
    << "#include \"train.h\"\n\n#include <string.h>\n\n#include \"kilonas_runtime.h\"\n#include \"kilonas_train.h\"\n\n"
    << "/* The planned arena (exactly KILONAS_TRAIN_ARENA_BYTES, word aligned), then 4 canary words. */\n"
    << "#define KILONAS_ARENA_WORDS ((KILONAS_TRAIN_ARENA_BYTES + 3) / 4)\n"
    << "static int32_t kilonas_arena[KILONAS_ARENA_WORDS + 4];\n#define A ((int8_t*)kilonas_arena)\n"
    << "/* The stochastic rounding stream of the weight updates (kilonas_sgd_weights). */\n"
    << "static uint32_t kilonas_sgd_rounding = KILONAS_SGD_ROUNDING_SEED;\n\n";
  for (size_t i = 0; i < model.graph.ops().size(); ++i) OpBlocks(c, model, program, static_cast<int>(i));
  c << "\n";
  InitAndChecksum(c, model, program.layout);
  const core::Graph& g = model.graph;
  c << "float kilonas_train_step(const int8_t* input, int32_t label, int32_t sample_in_batch) {\n  float loss = 0;\n"
    << "  (void)sample_in_batch;\n  memcpy(" << At(program.layout.value[g.input()])
    << ", input, KILONAS_TRAIN_INPUT_BYTES);\n";
  for (const TrainStep& s : program.steps) c << StepCall(model, program, s);
  c << "  return loss;\n}\n";
  gen.source = c.str();
  return gen;
}

std::string GenerateTrainingSamples(const TrainingSamples& samples) {
  std::ostringstream out;
  const size_t bytes = samples.inputs.empty() ? 0 : samples.inputs[0].size();
  out << "/* Generated by kilonas: the labelled samples the firmware trains on. */\n#include <stdint.h>\n\n"
      << "#define KILONAS_TRAIN_SAMPLES " << samples.inputs.size() << "\n#define KILONAS_TRAIN_STEPS " << samples.steps
      << "\n\nstatic const int8_t kilonas_train_inputs[" << samples.inputs.size() << "][" << bytes << "] = {\n";
  for (const std::vector<int8_t>& input : samples.inputs) {
    out << "  {";
    for (size_t i = 0; i < input.size(); ++i)
      out << (i % 24 == 0 ? "\n    " : " ") << static_cast<int>(input[i]) << ",";
    out << "\n  },\n";
  }
  out << "};\n" << engine::CArray("int32_t", "kilonas_train_labels", Wide(samples.labels));
  return out.str();
}

uint32_t ParameterChecksum(const engine::Model& model, const TrainingLayout& layout) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < model.constants.size(); ++i) {
    const engine::OpConstants& k = model.constants[i];
    if (layout.weight_copy[i] >= 0) h = kilonas_fnv1a(k.weights.data(), static_cast<int32_t>(k.weights.size()), h);
    if (layout.bias_copy[i] >= 0) h = kilonas_fnv1a(k.bias.data(), static_cast<int32_t>(k.bias.size() * 4), h);
  }
  return h;
}

}  // namespace kilonas::ondevice
