// Firmware benchmark: instructions per inference and MACs per instruction on the profile's core
// (default STM32F746, Cortex-M7 in qemu-system-arm -M mps2-an500, -icount shift=0: exact counts),
// for single layers of every kernel and whole networks (docs/engine.md), with the reference and
// the SMLAD kernel sets. Prints figures; run by scripts, not ctest (each case builds and runs
// firmware). A case whose firmware does not build (a network over the profile's SRAM or flash)
// is named with the reason and skipped. `only` runs the cases whose name contains it.
//   firmware_bench [hw_profile.json] [out_dir] [only]
#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "core/hw_profile.h"
#include "core/net_spec.h"
#include "core/ofa_space.h"
#include "core/reference_nets.h"
#include "engine/export.h"
#include "engine/quantizer.h"

#ifndef KILONAS_SOURCE_DIR
#define KILONAS_SOURCE_DIR "."
#endif

namespace {

using namespace kilonas;

// input -> [1x1 expand] -> op under test; the expand makes the depthwise input an arena tensor
// with one reader, so it runs in place as in a real network. Padded kernel / 2 before and after,
// or with `same`, as TensorFlow's SAME pads (a stride-2 window on an even map: 0 before, 1 after).
core::Graph Layer(core::OpKind kind, int size, int cin, int cout, int kernel, int stride = 1, bool same = false) {
  core::Graph g;
  int x = g.AddTensor({"input", {size, size, cin}});
  g.SetInput(x);
  if (kind == core::OpKind::kDepthwiseConv2d) {
    const int e = g.AddTensor({"expand", {size, size, cout}});
    g.AddOp({core::OpKind::kPointwiseConv2d, "expand", {x}, e, 1, 1, 0, core::Activation::kRelu6});
    x = e;
  }
  const int out = same ? (size + stride - 1) / stride : core::WindowOutputSize(size, kernel, stride, kernel / 2);
  const int total = std::max((out - 1) * stride + kernel - size, 0);
  const int y = g.AddTensor({"out", {out, out, cout}});
  core::Op op{kind, "layer", {x}, y, kernel, stride, same ? total / 2 : kernel / 2, core::Activation::kRelu6};
  if (same) op.padding_end = total - total / 2;
  g.AddOp(op);
  g.SetOutput(y);
  return g;
}

// The graph with every pointwise layer's weights stored wide (the wide-weight kernel).
core::Graph WithWideWeights(core::Graph g) {
  return core::WithPointwiseWeights(std::move(g), core::WeightLayout::kWide);
}

// input (1 x 1 x in) -> fully connected -> out: a classifier.
core::Graph Classifier(int in, int out) {
  core::Graph g;
  const int x = g.AddTensor({"input", {1, 1, in}});
  g.SetInput(x);
  const int y = g.AddTensor({"logits", {1, 1, out}});
  g.AddOp({core::OpKind::kFullyConnected, "classifier", {x}, y});
  g.SetOutput(y);
  return g;
}

struct Figures {
  uint64_t instructions = 0;
  int64_t macs = 0;
  bool exact = false;
};

// The export's error when the firmware does not build or run (e.g. the model exceeds the
// profile's SRAM or flash).
core::Result<Figures> Measure(const core::Graph& graph, int op, const core::HwProfile& hw, engine::KernelSet set,
                              const std::string& dir) {
  std::mt19937 rng(7);
  const core::FloatModel fm = core::RandomFloatModel(graph, rng);
  std::vector<float> image(graph.tensor(graph.input()).shape.Elements());
  for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  const engine::Model model = engine::Quantize(fm, {image}, {}).value();
  engine::ExportOptions options{dir, "bench", KILONAS_SOURCE_DIR, set, true, true};
  core::Result<engine::ExportResult> r = engine::ExportModel(model, engine::QuantizeInput(model, image), hw, options);
  if (!r.ok()) return r.error();
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

void Report(const std::string& name, const core::Graph& graph, int op, const core::HwProfile& hw,
            const std::string& dir) {
  const core::Result<Figures> measured_ref = Measure(graph, op, hw, engine::KernelSet::kReference, dir);
  const core::Result<Figures> measured_dsp = Measure(graph, op, hw, engine::KernelSet::kOptimized, dir);
  if (!measured_ref.ok() || !measured_dsp.ok()) {
    const std::string why = (measured_ref.ok() ? measured_dsp.error() : measured_ref.error()).message;
    const size_t overflow = why.find("overflowed");  // the linker's line says by how much
    const size_t line = overflow == std::string::npos ? 0 : why.rfind('\n', overflow) + 1;
    std::printf("%-38s skipped on %s: %s\n", name.c_str(), hw.name.c_str(),
                why.substr(line, why.find('\n', line) - line).c_str());
    return;
  }
  const Figures& ref = measured_ref.value();
  const Figures& dsp = measured_dsp.value();
  std::printf(
      "%-38s %10lld MACs | reference %11llu instr %6.3f MACs/instr | SMLAD %11llu instr %6.3f MACs/instr | %5.2fx%s\n",
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
  const core::HwProfile& hw_profile = hw.value();
  const std::string only = argc > 3 ? argv[3] : "";
  const auto report = [&](const std::string& name, const core::Graph& graph, int op) {
    if (name.find(only) != std::string::npos) Report(name, graph, op, hw_profile, dir);
  };
  report("pointwise 16x16, 96 -> 96", Layer(core::OpKind::kPointwiseConv2d, 16, 96, 96, 1), 0);
  report("pointwise 16x16, 96 -> 96, wide weights",
         WithWideWeights(Layer(core::OpKind::kPointwiseConv2d, 16, 96, 96, 1)), 0);
  report("pointwise 14x14, 16 -> 8", Layer(core::OpKind::kPointwiseConv2d, 14, 16, 8, 1), 0);
  report("pointwise 32x32, 16 -> 48", Layer(core::OpKind::kPointwiseConv2d, 32, 16, 48, 1), 0);
  report("pointwise 32x32, 16 -> 48, wide weights",
         WithWideWeights(Layer(core::OpKind::kPointwiseConv2d, 32, 16, 48, 1)), 0);
  report("depthwise 3x3 s1 in place 32x32x96", Layer(core::OpKind::kDepthwiseConv2d, 32, 16, 96, 3), 1);
  report("depthwise 3x3 s2 in place 32x32x96", Layer(core::OpKind::kDepthwiseConv2d, 32, 16, 96, 3, 2), 1);
  report("depthwise 3x3 s2 in place 9x9x96", Layer(core::OpKind::kDepthwiseConv2d, 9, 16, 96, 3, 2), 1);
  report("depthwise 3x3 s2 in place 10x10x96", Layer(core::OpKind::kDepthwiseConv2d, 10, 16, 96, 3, 2), 1);
  report("depthwise 3x3 s2 SAME 48x48x32", Layer(core::OpKind::kDepthwiseConv2d, 48, 16, 32, 3, 2, true), 1);
  report("depthwise 3x3 s2 SAME 12x12x128", Layer(core::OpKind::kDepthwiseConv2d, 12, 16, 128, 3, 2, true), 1);
  report("depthwise 3x3 s1 in place 5x5x336", Layer(core::OpKind::kDepthwiseConv2d, 5, 16, 336, 3), 1);
  report("depthwise 7x7 s1 in place 16x16x96", Layer(core::OpKind::kDepthwiseConv2d, 16, 16, 96, 7), 1);
  report("conv 3x3 s2 64x64, 3 -> 16 (stem)", Layer(core::OpKind::kConv2d, 64, 3, 16, 3, 2), 0);
  report("fully connected 448 -> 1000", Classifier(448, 1000), 0);
  report("network mbv2-w0.35 r96 (10 classes)", core::BuildGraph(core::MobileNetV2(0.35, 96, 10)).value(), -1);
  report("network mbv2-w0.35 r144 (1000 classes)", core::BuildGraph(core::MobileNetV2(0.35, 144, 1000)).value(), -1);
  report("network mbv2-w0.35 r144, all wide",
         WithWideWeights(core::BuildGraph(core::MobileNetV2(0.35, 144, 1000)).value()),
         -1);  // twice the pointwise weights: over the F746's flash, inside the H743's
  report("network proxyless-w0.3 r176 (1000)", core::BuildGraph(core::ProxylessMobile(0.3, 176, 1000)).value(), -1);
  const std::string winner = std::string(KILONAS_SOURCE_DIR) + "/bench/networks/fmnist_default_winner.json";
  core::Result<core::SubnetConfig> subnet = core::LoadSubnetConfig(winner);
  if (!subnet.ok()) {
    std::fprintf(stderr, "firmware_bench: %s\n", subnet.error().message.c_str());
    return 1;
  }
  const core::Graph winner_graph = core::BuildSubnetGraph(core::FashionMnistSpace(), subnet.value()).value();
  report("network fmnist default winner", winner_graph, -1);
  report("network fmnist default winner, all wide", WithWideWeights(winner_graph), -1);
  return 0;
}
