#include "engine/codegen.h"

#include <cctype>
#include <sstream>

namespace kilonas::engine {

std::string CommentText(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != ':' && c != '-') c = '_';
  }
  return out;
}

std::string CArray(const char* type, const std::string& name, const std::vector<int64_t>& values, bool word_aligned) {
  std::ostringstream out;
  out << "static const " << type << " " << name << "[" << std::max<size_t>(values.size(), 1) << "]"
      << (word_aligned ? " __attribute__((aligned(4)))" : "") << " = {";
  for (size_t i = 0; i < values.size(); ++i) out << (i % 16 == 0 ? "\n  " : " ") << values[i] << ",";
  if (values.empty()) out << "0";
  out << "\n};\n";
  return out.str();
}

std::string ConvParamsText(const kilonas_conv_params& p, const std::string& pointers) {
  std::ostringstream out;
  out << "{" << pointers << ", " << p.fast_requant << ", " << p.input_offset << ", " << p.output_offset << ", "
      << p.act_min << ", " << p.act_max << ", " << p.kernel << ", " << p.stride << ", " << p.pad << ", " << p.kernel_w
      << ", " << p.pad_w << ", " << p.pad_end << ", " << p.in_h << ", " << p.in_w << "}";
  return out.str();
}

std::string AddParamsText(const kilonas_add_params& p) {
  std::ostringstream out;
  out << "{" << p.input1_offset << ", " << p.input2_offset << ", " << p.output_offset << ", " << p.input1_multiplier
      << ", " << p.input1_shift << ", " << p.input2_multiplier << ", " << p.input2_shift << ", " << p.output_multiplier
      << ", " << p.output_shift << ", " << p.left_shift << ", " << p.act_min << ", " << p.act_max << "}";
  return out.str();
}

std::string PoolParamsText(const kilonas_pool_params& p) {
  std::ostringstream out;
  out << "{" << p.input_offset << ", " << p.output_offset << ", " << p.multiplier << ", " << p.shift << "}";
  return out.str();
}

std::string ViewText(const kilonas_view& v) {
  std::ostringstream out;
  out << "{" << v.h << ", " << v.w << ", " << v.c << ", " << v.y0 << ", " << v.x0 << "}";
  return out.str();
}

std::string RectText(const kilonas_rect& r) {
  std::ostringstream out;
  out << "{" << r.y0 << ", " << r.x0 << ", " << r.h << ", " << r.w << "}";
  return out.str();
}

namespace {

template <typename T>
void Array(std::ostringstream& out, const char* type, const std::string& name, const std::vector<T>& values,
           bool word_aligned = false) {
  out << CArray(type, name, std::vector<int64_t>(values.begin(), values.end()), word_aligned);
}

std::string Address(int64_t offset) {
  return offset == kExternalInput ? "kilonas_external_input" : "a + " + std::to_string(offset);
}

// The op's constants and parameter struct: bias, multiplier and shift arrays for the reference
// kernels, or the interleaved channel words for the kernels that read them (same bytes); an op
// without weights (a pooling window) has the struct alone.
void ConvBlock(std::ostringstream& out, const Model& model, int i, Kernel kernel) {
  const std::string n = std::to_string(i);
  std::string pointers = "0, 0, 0, 0, 0";  // weights, bias, multiplier, shift, channels
  if (core::Traits(model.graph.op(i).kind).has_weights) {
    const OpConstants& c = model.constants[i];
    const KernelConstants k = ConstantsFor(model, i, kernel);
    // The wide kernel reads its int16 weights by LDRD, which needs word alignment.
    Array(out, "int8_t", "w" + n, k.weights,
          kernel != Kernel::kNone && core::KernelInfo(kernel).constants == core::KernelConstants::kWide);
    if (UsesChannelWords(kernel)) {
      Array(out, "int32_t", "ch" + n, k.channels);
      pointers = "w" + n + ", 0, 0, 0, ch" + n;
    } else {
      Array(out, "int32_t", "b" + n, c.bias);
      Array(out, "int32_t", "m" + n, c.multiplier);
      Array(out, "int32_t", "s" + n, c.shift);
      pointers = "w" + n + ", b" + n + ", m" + n + ", s" + n + ", 0";
    }
  }
  out << "static const kilonas_conv_params cp" << n << " = " << ConvParamsText(ConvParams(model, i), pointers) << ";\n";
}

void AddBlock(std::ostringstream& out, const std::string& name, const kilonas_add_params& p) {
  out << "static const kilonas_add_params " << name << " = " << AddParamsText(p) << ";\n";
}

// Whether a call of `kernel` takes views and a rect (else plain sizes).
bool TakesViews(Kernel kernel) {
  const CallShape shape = FunctionOf(kernel).shape;
  return shape != CallShape::kPool && shape != CallShape::kDense && shape != CallShape::kDenseScratch;
}

// The kernel call of one step, with its views as static consts.
void Call(std::ostringstream& out, const Model& model, const Step& s, size_t step_index) {
  const core::Op& op = model.graph.op(s.op);
  const std::string n = std::to_string(s.op);
  out << "  { /* " << CommentText(op.name) << " */\n";
  if (TakesViews(s.kernel)) {
    out << "    static const kilonas_view iv = " << ViewText(s.in_view) << ", ov = " << ViewText(s.out_view);
    if (FunctionOf(s.kernel).shape == CallShape::kAdd) out << ", iv2 = " << ViewText(s.in2_view);
    out << ";\n    static const kilonas_rect r = " << RectText(s.rect) << ";\n";
  }
  const CallOperands operands{"&cp" + n,
                              "&ap" + n,
                              "&pp" + n,
                              Address(s.in),
                              Address(s.in2),
                              Address(s.out),
                              s.scratch >= 0 ? "a + " + std::to_string(s.scratch) : "0"};
  out << "    KILONAS_STEP_BEGIN();\n    " << KernelCall(s.kernel, operands, s.in_view, s.out_view)
      << "\n    KILONAS_STEP_END(" << step_index << ");\n  }\n";
}

}  // namespace

std::string KernelCall(Kernel kernel, const CallOperands& o, const kilonas_view& in_view,
                       const kilonas_view& out_view) {
  if (kernel == Kernel::kNone) return "";
  const std::string symbol(KernelSymbol(kernel));
  const std::string scratch16 = "(int16_t*)(" + o.scratch + ")";
  const int64_t in_n = static_cast<int64_t>(in_view.h) * in_view.w * in_view.c;
  std::ostringstream out;
  out << symbol << "(";
  switch (FunctionOf(kernel).shape) {
    case CallShape::kView:
      out << o.conv_params << ", " << o.in << ", &iv, " << o.out << ", &ov, &r";
      break;
    case CallShape::kViewScratch:
      out << o.conv_params << ", " << o.in << ", &iv, " << o.out << ", &ov, &r, " << scratch16;
      break;
    case CallShape::kFusedAdd:
      out << o.conv_params << ", " << o.add_params << ", " << o.in << ", &iv, " << o.out << ", &ov, &r";
      break;
    case CallShape::kFusedAddScratch:
      out << o.conv_params << ", " << o.add_params << ", " << o.in << ", &iv, " << o.out << ", &ov, &r, " << scratch16;
      break;
    case CallShape::kInPlace:
      out << o.conv_params << ", " << o.out << ", &iv, &ov, &r, " << o.scratch;
      break;
    case CallShape::kAdd:
      out << o.add_params << ", " << o.in << ", &iv, " << o.in2 << ", &iv2, " << o.out << ", &ov, &r";
      break;
    case CallShape::kPool:
      out << o.pool_params << ", " << o.in << ", " << in_view.h * in_view.w << ", " << in_view.c << ", " << o.out;
      break;
    case CallShape::kDense:
      out << o.conv_params << ", " << o.in << ", " << in_n << ", " << o.out << ", " << out_view.c;
      break;
    case CallShape::kDenseScratch:
      out << o.conv_params << ", " << o.in << ", " << in_n << ", " << o.out << ", " << out_view.c << ", " << scratch16;
      break;
  }
  out << ");";
  return out.str();
}

namespace {

std::string Header(const Model& model, const Schedule& schedule, const std::string& network) {
  std::ostringstream h;
  h << "/* Generated by kilonas for " << CommentText(network) << ". Do not edit. */\n"
    << "#ifndef KILONAS_MODEL_H_\n#define KILONAS_MODEL_H_\n\n#include <stdint.h>\n\n"
    << "#define KILONAS_MODEL_ARENA_BYTES " << schedule.arena_bytes << "\n"
    << "#define KILONAS_MODEL_INPUT_BYTES " << schedule.input_bytes << "\n"
    << "#define KILONAS_MODEL_OUTPUT_BYTES " << schedule.output_bytes << "\n"
    << "#define KILONAS_MODEL_MACS " << model.graph.TotalMacs() << "\n"
    << "#define KILONAS_MODEL_STEPS " << schedule.steps.size() << "\n\n"
    << "#ifdef KILONAS_PROFILE_STEPS\n/* Timer ticks of every kernel call of the last invoke (40 instructions per tick "
       "under\n"
    << " * qemu -icount shift=0) and the op each call belongs to. */\n"
    << "extern uint32_t kilonas_step_ticks[KILONAS_MODEL_STEPS];\nextern const int16_t "
       "kilonas_step_op[KILONAS_MODEL_STEPS];\n#endif\n\n"
    << "/* Where the caller writes the int8 HWC input before invoking. */\n"
    << "int8_t* kilonas_model_input(void);\nconst int8_t* kilonas_model_output(void);\n"
    << "void kilonas_model_invoke(void);\n\n#endif\n";
  return h.str();
}

// model.c up to the parameter blocks: the arena, the step timer macros, an external input.
void SourcePrologue(std::ostringstream& c, const Schedule& schedule, const std::string& network) {
  c << "/* Generated by kilonas for " << CommentText(network) << ". Do not edit. */\n"
    << "#include \"model.h\"\n\n#include \"kilonas_runtime.h\"\n\n"
    << "/* The arena planned by the memory planner: exactly KILONAS_MODEL_ARENA_BYTES (word aligned). */\n"
    << "static int32_t kilonas_arena[(KILONAS_MODEL_ARENA_BYTES + 3) / 4];\n\n"
    << "#ifdef KILONAS_PROFILE_STEPS\n#include \"cmsdk_timer.h\"\n"
    << "uint32_t kilonas_step_ticks[KILONAS_MODEL_STEPS];\n"
    << "#define KILONAS_STEP_BEGIN() const uint32_t step_start = kilonas_timer_ticks()\n"
    << "#define KILONAS_STEP_END(i) kilonas_step_ticks[i] = kilonas_timer_ticks() - step_start\n#else\n"
    << "#define KILONAS_STEP_BEGIN() (void)0\n#define KILONAS_STEP_END(i) (void)0\n#endif\n";
  if (schedule.input_offset == kExternalInput) {
    c << "/* The input lives outside the arena (planned with the input excluded). */\n"
      << "static int8_t kilonas_external_input[KILONAS_MODEL_INPUT_BYTES];\n";
  }
  c << "\n";
}

// Every op's constant parameter block (its kind's, and a fused add's after its projection).
void ParameterBlocks(std::ostringstream& c, const Model& model, const Schedule& schedule) {
  const core::Graph& g = model.graph;
  std::vector<bool> fused_projection(g.ops().size(), false);
  std::vector<Kernel> kernel_of(g.ops().size(), Kernel::kNone);
  for (const Step& s : schedule.steps) {
    fused_projection[s.op] = FusesAdd(s.kernel);
    kernel_of[s.op] = s.kernel;
  }
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const int index = static_cast<int>(i);
    const core::Op& op = g.op(index);
    c << "/* op " << i << " " << CommentText(op.name) << ": " << core::Traits(op.kind).name << " "
      << g.InputOf(op).shape.ToString() << " -> " << g.OutputOf(op).shape.ToString() << " */\n";
    switch (core::Traits(op.kind).params) {
      case core::ParamBlock::kConv:
        ConvBlock(c, model, index, kernel_of[i]);
        break;
      case core::ParamBlock::kAdd:
        AddBlock(c, "ap" + std::to_string(i), AddParams(model, index, op.inputs[0]));
        break;
      case core::ParamBlock::kPool: {
        c << "static const kilonas_pool_params pp" << i << " = " << PoolParamsText(PoolParams(model, index)) << ";\n";
        break;
      }
      case core::ParamBlock::kNone:
        break;
    }
    if (fused_projection[i]) {
      // The add after this projection is computed here, over the residual (input1).
      AddBlock(c, "ap" + std::to_string(i), FusedAddParams(model, index));
    }
  }
}

}  // namespace

GeneratedSources GenerateC(const Model& model, const Schedule& schedule, const std::string& network) {
  GeneratedSources gen;
  gen.header = Header(model, schedule, network);
  std::ostringstream c;
  SourcePrologue(c, schedule, network);
  ParameterBlocks(c, model, schedule);
  const std::string in = Address(schedule.input_offset);
  c << "\nint8_t* kilonas_model_input(void) { int8_t* const a = (int8_t*)kilonas_arena; (void)a; return " << in
    << "; }\n"
    << "const int8_t* kilonas_model_output(void) { return (const int8_t*)kilonas_arena + " << schedule.output_offset
    << "; }\n\nvoid kilonas_model_invoke(void) {\n  int8_t* const a = (int8_t*)kilonas_arena;\n";
  for (size_t i = 0; i < schedule.steps.size(); ++i) Call(c, model, schedule.steps[i], i);
  c << "}\n\n#ifdef KILONAS_PROFILE_STEPS\nconst int16_t kilonas_step_op[KILONAS_MODEL_STEPS] = {";
  for (size_t i = 0; i < schedule.steps.size(); ++i) c << (i % 16 == 0 ? "\n  " : " ") << schedule.steps[i].op << ",";
  c << "\n};\n#endif\n";
  gen.source = c.str();
  return gen;
}

std::string GenerateTestInput(const std::vector<int8_t>& input) {
  std::ostringstream out;
  out << "/* Generated by kilonas: the input the firmware runs on. */\n#include <stdint.h>\n";
  Array(out, "int8_t", "kilonas_test_input", input);
  return out.str();
}

}  // namespace kilonas::engine
