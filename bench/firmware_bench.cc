// Firmware benchmark: instructions per inference and MACs per instruction on the profile's core
// (default STM32F746, Cortex-M7 in qemu-system-arm -M mps2-an500, -icount shift=0: exact counts),
// for a pointwise layer, a depthwise layer and a whole network, with the reference and the SMLAD
// kernel sets. Prints figures; run by scripts, not ctest (each case builds and runs firmware).
//   firmware_bench [hw_profile.json] [out_dir]
#include <cstdio>
#include <random>
#include <string>

#include "core/hw_profile.h"
#include "core/net_spec.h"
#include "core/reference_nets.h"
#include "engine/export.h"
#include "engine/quantizer.h"

#ifndef KILONAS_SOURCE_DIR
#define KILONAS_SOURCE_DIR "."
#endif

namespace {

using namespace kilonas;

// input -> [1x1 expand] -> op under test; the expand makes the depthwise input an arena tensor
// with one reader, so it runs in place as in a real network.
core::Graph Layer(core::OpKind kind, int size, int cin, int cout, int kernel) {
  core::Graph g;
  int x = g.AddTensor({"input", {size, size, cin}});
  g.SetInput(x);
  if (kind == core::OpKind::kDepthwiseConv2d) {
    const int e = g.AddTensor({"expand", {size, size, cout}});
    g.AddOp({core::OpKind::kPointwiseConv2d, "expand", {x}, e, 1, 1, 0, core::Activation::kRelu6});
    x = e;
  }
  const int y = g.AddTensor({"out", {size, size, cout}});
  g.AddOp({kind, "layer", {x}, y, kernel, 1, kernel / 2, core::Activation::kRelu6});
  g.SetOutput(y);
  return g;
}

struct Figures {
  uint64_t instructions = 0;
  int64_t macs = 0;
  bool exact = false;
};

Figures Measure(const core::Graph& graph, int op, const core::HwProfile& hw, engine::KernelSet set,
                const std::string& dir) {
  std::mt19937 rng(7);
  const engine::FloatModel fm = engine::RandomFloatModel(graph, rng);
  std::vector<float> image(graph.tensor(graph.input()).shape.Elements());
  for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  const engine::Model model = engine::Quantize(fm, {image}, {}).value();
  engine::ExportOptions options{dir, "bench", KILONAS_SOURCE_DIR, set, true, true};
  core::Result<engine::ExportResult> r = engine::ExportModel(model, engine::QuantizeInput(model, image), hw, options);
  if (!r.ok()) {
    std::fprintf(stderr, "firmware_bench: %s\n", r.error().message.c_str());
    std::exit(1);
  }
  Figures f;
  f.exact = r.value().BitExact();
  if (op < 0) {
    f.instructions = r.value().run->Instructions();
    f.macs = graph.TotalMacs();
  } else {
    f.instructions = r.value().OpInstructions(graph.ops().size())[op];
    f.macs = graph.Macs(graph.op(op));
  }
  return f;
}

void Report(const std::string& name, const core::Graph& graph, int op, const core::HwProfile& hw, const std::string& dir) {
  const Figures ref = Measure(graph, op, hw, engine::KernelSet::kReference, dir);
  const Figures dsp = Measure(graph, op, hw, engine::KernelSet::kOptimized, dir);
  std::printf("%-34s %10lld MACs | reference %11llu instr %6.3f MACs/instr | SMLAD %11llu instr %6.3f MACs/instr | %5.2fx%s\n",
              name.c_str(), static_cast<long long>(ref.macs), static_cast<unsigned long long>(ref.instructions),
              static_cast<double>(ref.macs) / static_cast<double>(ref.instructions),
              static_cast<unsigned long long>(dsp.instructions),
              static_cast<double>(dsp.macs) / static_cast<double>(dsp.instructions),
              static_cast<double>(ref.instructions) / static_cast<double>(dsp.instructions),
              ref.exact && dsp.exact ? "" : "  OUTPUT MISMATCH");
}

}  // namespace

int main(int argc, char** argv) {
  const std::string hw_path = argc > 1 ? argv[1] : std::string(KILONAS_SOURCE_DIR) + "/hw_profiles/stm32f746.json";
  const std::string dir = argc > 2 ? argv[2] : "out/firmware_bench";
  core::Result<core::HwProfile> hw = core::LoadHwProfile(hw_path);
  if (!hw.ok()) {
    std::fprintf(stderr, "firmware_bench: %s\n", hw.error().message.c_str());
    return 1;
  }
  std::printf("firmware_bench on %s (%s, qemu -M %s, instructions = CMSDK ticks x 40)\n", hw.value().name.c_str(),
              hw.value().core.c_str(), hw.value().qemu_machine.c_str());
  Report("pointwise 16x16, 96 -> 96", Layer(core::OpKind::kPointwiseConv2d, 16, 96, 96, 1), 0, hw.value(), dir);
  Report("pointwise 32x32, 16 -> 48", Layer(core::OpKind::kPointwiseConv2d, 32, 16, 48, 1), 0, hw.value(), dir);
  Report("depthwise 3x3 in place 32x32x96", Layer(core::OpKind::kDepthwiseConv2d, 32, 16, 96, 3), 1, hw.value(), dir);
  Report("depthwise 7x7 in place 16x16x96", Layer(core::OpKind::kDepthwiseConv2d, 16, 16, 96, 7), 1, hw.value(), dir);
  Report("conv 3x3 32x32, 3 -> 16", Layer(core::OpKind::kConv2d, 32, 3, 16, 3), 0, hw.value(), dir);
  const core::Graph net = core::BuildGraph(core::MobileNetV2(0.35, 96, 10)).value();
  Report("network mbv2-w0.35 r96 (10 classes)", net, -1, hw.value(), dir);
  return 0;
}
