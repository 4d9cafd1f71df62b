#include "engine/op_benchmark.h"

#include <algorithm>
#include <optional>
#include <sstream>

#include "core/file_io.h"
#include "core/kernel_registry.h"
#include "core/receptive_field.h"
#include "engine/codegen.h"
#include "engine/kernel_table.h"
#include "memory_planner/flash.h"

namespace kilonas::engine {
namespace {

int64_t Align4(int64_t v) { return (v + 3) / 4 * 4; }

// Where a case's regions sit along one axis of the whole tensors.
struct AxisPlacement {
  int whole_in = 0;   // input tensor size (where zero padding starts)
  int in_begin = 0;   // first input row (col) held in the input buffer
  int out_begin = 0;  // first output row (col) computed
};

// The whole tensor first (region == tensor); else, for a patch, the first placement whose
// receptive field is exactly the input region; ops without a window read a region at least as
// large as the one they compute, at the same origin.
std::optional<AxisPlacement> PlaceAxis(const OpCase& c, int in_size, int out_size) {
  const bool window = core::Traits(c.kind).window;
  const int pad = c.kernel / 2;
  if (!window || core::WindowOutputSize(in_size, c.kernel, c.stride, pad) == out_size) {
    if (window || in_size >= out_size) return AxisPlacement{in_size, 0, 0};
    return std::nullopt;
  }
  for (int whole = in_size; whole <= in_size + 2 * (c.kernel + c.stride); ++whole) {
    const int whole_out = core::WindowOutputSize(whole, c.kernel, c.stride, pad);
    for (int begin = 0; begin + out_size <= whole_out && begin <= 2 * (c.kernel + c.stride); ++begin) {
      const core::Interval need = core::InputInterval({begin, begin + out_size}, c.kernel, c.stride, pad, whole);
      if (need.size() == in_size) return AxisPlacement{whole, need.begin, begin};
    }
  }
  if (c.kernel == 1 && in_size >= out_size) return AxisPlacement{in_size, 0, 0};  // a larger input region
  return std::nullopt;
}

// Arena offsets of one case: input, second input (add), output (or the input's / residual's
// buffer), scratch.
struct Layout {
  int64_t in = 0, in2 = 0, out = 0, scratch = 0, total = 0;
};

core::WeightLayout WeightsOf(const OpCase& c) { return c.wide ? core::WeightLayout::kWide : core::WeightLayout::kInt8; }

Layout LayoutOf(const OpCase& c, Kernel kernel) {
  Layout l;
  const int64_t in = Align4(c.in.Elements()), out = Align4(c.out.Elements());
  const bool in_place = WorksInPlace(kernel);
  const int64_t scratch = Align4(
      core::ScratchBytes(c.kind, c.kernel, c.kernel / 2, c.kernels, in_place, c.in.h, c.in.w, c.in.c, WeightsOf(c)));
  l.out = in;
  l.scratch = in + out;
  l.total = l.scratch + scratch;
  if (in_place) {  // output over the input
    l.out = 0;
    l.scratch = in;
    l.total = in + scratch;
  } else if (FunctionOf(kernel).shape == CallShape::kAdd) {
    l.in2 = in;
    l.out = in + out;
    l.total = in + 2 * out;
  }
  return l;
}

std::string ViewText(int h, int w, int c, int y0, int x0) {
  std::ostringstream out;
  out << "{" << h << ", " << w << ", " << c << ", " << y0 << ", " << x0 << "}";
  return out.str();
}

// Bytes of the case's weights as its kernel reads them (wide: int16, whole groups of 4 inputs).
int64_t WeightBytes(const OpCase& c) {
  if (c.wide) return memory_planner::WideWeightBytes(c.in.c, c.out.c);
  return core::MacsPerOutputPixel(c.kind, c.kernel, c.kernel, c.in, c.out);
}

// The benchmark's fixed prologue: counters, pseudo-random data, output helper.
const char* kPrologue =
    "#ifdef KILONAS_DWT /* real board: DWT cycle counter (Cortex-M7 needs the lock access register) */\n"
    "#define DEMCR (*(volatile uint32_t*)0xE000EDFCu)\n#define DWT_CTRL (*(volatile uint32_t*)0xE0001000u)\n"
    "#define DWT_CYCCNT (*(volatile uint32_t*)0xE0001004u)\n#define DWT_LAR (*(volatile uint32_t*)0xE0001FB0u)\n"
    "static void counter_start(void) { DEMCR |= 1u << 24; DWT_LAR = 0xC5ACCE55u; DWT_CYCCNT = 0; DWT_CTRL |= 1u; }\n"
    "static uint32_t counter(void) { return DWT_CYCCNT; }\n#else /* QEMU: CMSDK timer ticks */\n"
    "static void counter_start(void) { kilonas_timer_start(); }\n"
    "static uint32_t counter(void) { return kilonas_timer_ticks(); }\n#endif\n\n"
    "static uint32_t seed;\n"
    "static int8_t next_byte(void) { seed = seed * 1664525u + 1013904223u; return (int8_t)(seed >> 24); }\n"
    "/* Each case sees the same data wherever it sits in whichever batch, and starts on a timer tick:\n"
    " * its count does not depend on its neighbours. */\n"
    "static void fill(int8_t* at, int n, uint32_t s) { seed = s; for (int i = 0; i < n; ++i) at[i] = next_byte(); }\n"
    "static uint32_t tick_start(void) { const uint32_t s = counter(); uint32_t t; while ((t = counter()) == s) {} "
    "return t; }\n\n"
    "static char* put_u32(char* at, uint32_t v) {\n  char d[10];\n  int n = 0;\n"
    "  do { d[n++] = (char)('0' + v % 10u); v /= 10u; } while (v);\n  while (n) *at++ = d[--n];\n  return at;\n}\n\n";

}  // namespace

namespace {

// Weights of at most kRamWeights bytes are pseudo-random in RAM; a wider layer (the plain CNN's)
// reads zeros from flash, where a model keeps them anyway.
constexpr int64_t kRamWeights = 32768;

// The block of main() that times case `index`: views, parameters, a filled arena, the call.
std::string CaseCall(const OpCase& c, size_t index, Kernel kernel, const AxisPlacement& rows, const AxisPlacement& cols,
                     const Layout& l) {
  std::ostringstream calls;
  const std::string out_view = ViewText(c.out.h, c.out.w, c.out.c, rows.out_begin, cols.out_begin);
  calls << "  { /* " << core::Traits(c.kind).name << " k" << c.kernel << " s" << c.stride << " " << c.in.ToString()
        << " -> " << c.out.ToString() << " " << KernelSymbol(kernel) << " */\n"
        << "    static const kilonas_view iv = " << ViewText(c.in.h, c.in.w, c.in.c, rows.in_begin, cols.in_begin)
        << ", iv2 = " << out_view << ", ov = " << out_view << ";\n"
        << "    static const kilonas_rect r = {" << rows.out_begin << ", " << cols.out_begin << ", " << c.out.h << ", "
        << c.out.w << "};\n"
        << "    const kilonas_conv_params p = {" << (WeightBytes(c) <= kRamWeights ? "weights" : "flash_weights")
        << ", bias, mult, shift, " << (c.wide ? "wide_records" : "channels") << ", 1, 5, -3, -128, 127, " << c.kernel
        << ", " << c.stride << ", " << c.kernel / 2 << ", " << c.kernel << ", " << c.kernel / 2 << ", " << c.kernel / 2
        << ", " << rows.whole_in << ", " << cols.whole_in << "};\n"
        << "    (void)iv; (void)iv2; (void)ov; (void)r; (void)p;\n"
        << "    fill(a, " << l.total << ", 12345u);\n"
        << "    const uint32_t t0 = tick_start();\n    "
        << KernelCall(kernel,
                      {"&p", "&add", "&pool", "a + " + std::to_string(l.in), "a + " + std::to_string(l.in2),
                       "a + " + std::to_string(l.out), "a + " + std::to_string(l.scratch)},
                      {c.in.h, c.in.w, c.in.c, 0, 0}, {c.out.h, c.out.w, c.out.c, 0, 0})
        << "\n    counts[" << index << "] = counter() - t0;\n  }\n";
  return calls.str();
}

// The buffers every case shares, sized for the largest.
struct Buffers {
  int64_t arena = 0, ram_weights = 1, flash_weights = 0, channels = 1;
};

// The whole program: buffers, the pseudo-random fill, the timed calls, the report lines.
std::string BenchmarkProgram(size_t cases, size_t first_index, const Buffers& b, const std::string& calls) {
  std::ostringstream s;
  s << "/* Generated by kilonas nas_profile: " << cases << " kernel calls, indices " << first_index << ".."
    << first_index + cases - 1 << ". */\n"
    << "#include <stdint.h>\n#include \"kilonas_runtime.h\"\n#include \"cmsdk_timer.h\"\n#include \"semihost.h\"\n\n"
    << "#define CASES " << cases << "\n#define FIRST_INDEX " << first_index << "u\n#define ARENA " << b.arena
    << "\n#define WEIGHTS " << (b.ram_weights + 3) / 4 * 4 << "\n#define CHANNELS " << b.channels << "\n"
    << "static int32_t arena_words[(ARENA + 3) / 4];\nstatic int8_t weights[WEIGHTS] __attribute__((aligned(4)));\n";
  if (b.flash_weights > 0) {
    s << "/* Layers with more weights than fit the RAM read zeros from flash (the reference kernels'\n"
      << " * clamps make their counts depend a little on the values: about 0.05%). */\n"
      << "static const int8_t flash_weights[" << (b.flash_weights + 3) / 4 * 4
      << "] __attribute__((section(\".rodata.weights\"), aligned(4)));\n";
  }
  s << "static int32_t bias[CHANNELS], mult[CHANNELS], shift[CHANNELS], channels[3 * CHANNELS];\n"
    << "static int32_t wide_records[KILONAS_WIDE_RECORD * CHANNELS]; /* the wide kernel's, right shift 7 */\n"
    << "static uint32_t counts[CASES];\n\n"
    << kPrologue << "int main(void) {\n  int8_t* const a = (int8_t*)arena_words;\n"
    << "  fill((int8_t*)weights, WEIGHTS, 777u);\n"
    << "  for (int i = 0; i < WEIGHTS; ++i) if (weights[i] == -128) weights[i] = -127;\n"
    << "  seed = 4242u;\n"
    << "  for (int i = 0; i < CHANNELS; ++i) { bias[i] = next_byte() * 64; mult[i] = 1200000000 + next_byte() * "
       "4000000; "
       "shift[i] = -7;\n"
       "    channels[3 * i] = 2 * bias[i]; channels[3 * i + 1] = mult[i]; channels[3 * i + 2] = shift[i];\n"
       "    int32_t* const w = wide_records + KILONAS_WIDE_RECORD * i;\n"
       "    w[0] = mult[i]; w[1] = 7; w[2] = (2 * -3 + 1) * 64; w[3] = 2 * bias[i]; }\n"
    << "  (void)wide_records;\n"
    << "  const kilonas_add_params add = {3, -5, 7, 1500000000, -1, 1200000000, -1, 1300000000, -19, 20, -128, 127};\n"
    << "  const kilonas_pool_params pool = {4, -2, 1400000000, -6};\n  (void)add; (void)pool;\n"
    << "  counter_start();\n"
    << calls << "  for (int i = 0; i < CASES; ++i) {\n    char line[40];\n    char* at = line;\n"
    << "    const char* tag = \"KILONAS_OP \";\n    while (*tag) *at++ = *tag++;\n"
    << "    at = put_u32(at, FIRST_INDEX + (uint32_t)i);\n    *at++ = ' ';\n    at = put_u32(at, counts[i]);\n"
    << "    *at++ = '\\n';\n    *at = '\\0';\n    kilonas_semihost_write0(line);\n  }\n  return 0;\n}\n";
  return s.str();
}

}  // namespace

core::Result<OpBenchmarkSource> GenerateOpBenchmark(const std::vector<OpCase>& cases, size_t first_index) {
  Buffers buffers;
  std::string calls;
  for (size_t i = 0; i < cases.size(); ++i) {
    const OpCase& c = cases[i];
    const Kernel kernel = KernelFor(c.kind, c.writes_over, c.kernels, WeightsOf(c));
    const std::optional<AxisPlacement> rows = PlaceAxis(c, c.in.h, c.out.h), cols = PlaceAxis(c, c.in.w, c.out.w);
    if (kernel == Kernel::kNone || !rows || !cols) {
      return core::Error{"op benchmark: no kernel call reads " + c.in.ToString() + " and computes " + c.out.ToString() +
                         " with a " + std::to_string(c.kernel) + "x" + std::to_string(c.kernel) + " window, stride " +
                         std::to_string(c.stride)};
    }
    const Layout l = LayoutOf(c, kernel);
    buffers.arena = std::max(buffers.arena, l.total);
    int64_t& weights = WeightBytes(c) <= kRamWeights ? buffers.ram_weights : buffers.flash_weights;
    weights = std::max(weights, WeightBytes(c));
    buffers.channels = std::max<int64_t>(buffers.channels, c.out.c);
    calls += CaseCall(c, i, kernel, *rows, *cols, l);
  }
  return OpBenchmarkSource{BenchmarkProgram(cases.size(), first_index, buffers, calls), buffers.arena};
}

core::Result<std::vector<uint64_t>> RunOpBenchmark(const std::vector<OpCase>& cases, const FirmwareTarget& target,
                                                   const std::string& source_root, const std::string& out_dir) {
  std::vector<uint64_t> instructions(cases.size(), 0);
  std::vector<bool> reported(cases.size(), false);
  const size_t kBatch = 400;  // keeps each generated file and emulation short
  for (size_t first = 0; first < cases.size(); first += kBatch) {
    const std::vector<OpCase> batch(cases.begin() + first, cases.begin() + std::min(cases.size(), first + kBatch));
    const core::Result<OpBenchmarkSource> source = GenerateOpBenchmark(batch, first);
    if (!source.ok()) return source.error();
    const std::string dir = out_dir + "/batch" + std::to_string(first / kBatch);
    if (core::Status s = core::WriteFileAtomic(dir + "/op_benchmark.c", source.value().c_source); !s.ok())
      return s.error();
    core::Result<FirmwareBuild> build = BuildFirmware(dir, target, source_root, {dir + "/op_benchmark.c"});
    if (!build.ok()) return build.error();
    core::Result<QemuRun> run = RunInQemu(build.value(), target, 600, "KILONAS_OP");
    if (!run.ok()) return run.error();
    for (const auto& [index, ticks] : run.value().step_ticks) {
      const size_t i = static_cast<size_t>(index);
      if (index < 0 || i < first || i >= first + batch.size()) {
        return core::Error{dir + ": the op benchmark printed index " + std::to_string(index) + " outside its batch"};
      }
      instructions[i] = ticks * 40;
      reported[i] = true;
    }
  }
  const auto missing = std::find(reported.begin(), reported.end(), false);
  if (missing != reported.end()) {
    return core::Error{"op benchmark: call " + std::to_string(missing - reported.begin()) + " was not reported"};
  }
  return instructions;
}

}  // namespace kilonas::engine
