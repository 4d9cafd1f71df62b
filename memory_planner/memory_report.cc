#include "memory_planner/memory_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace kilonas::memory_planner {
namespace {

std::string Pad(const std::string& s, size_t width) {
  return s.size() >= width ? s : s + std::string(width - s.size(), ' ');
}

std::string PadLeft(const std::string& s, size_t width) {
  return s.size() >= width ? s : std::string(width - s.size(), ' ') + s;
}

}  // namespace

std::string KiB(int64_t bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f kB", static_cast<double>(bytes) / 1024.0);
  return text;
}

core::Result<MemoryReport> BuildMemoryReport(const core::Graph& graph, const std::string& network,
                                             const std::optional<core::HwProfile>& hw, const ReportOptions& options) {
  MemoryReport report;
  report.network = network;
  report.input = graph.tensor(graph.input()).shape;
  report.macs = graph.TotalMacs();
  report.params = graph.TotalParams();
  report.hw = hw;
  std::optional<CodeSize> code;
  if (hw) {
    core::Result<CodeSize> loaded = LoadCodeSize(hw->code_size);
    if (!loaded.ok()) return core::Error{"profile '" + hw->name + "' key 'code_size': " + loaded.error().message};
    code = loaded.value();
  }
  for (PlanMode mode : kAllPlanModes) {
    PlanOptions with_input{true, options.alignment};
    PlanOptions without_input{false, options.alignment};
    core::Result<MemoryPlan> counted = PlanForMode(graph, mode, with_input, options.patch_search);
    if (!counted.ok()) return counted.error();
    core::Result<MemoryPlan> excluded = PlanForMode(graph, mode, without_input, options.patch_search);
    if (!excluded.ok()) return excluded.error();
    ModeResult result{std::move(counted).value(), excluded.value().arena_bytes, std::nullopt};
    result.flash = EstimateDataFlash(graph, KernelsOf(mode));
    if (code) {
      core::Result<FlashEstimate> flash = EstimateFlash(graph, result.plan, *code);
      if (!flash.ok()) return flash.error();
      result.flash = flash.value();
    }
    if (excluded.value().patch) {
      const PatchPlan& patch = *excluded.value().patch;
      result.patch_without_input = PatchConfig{patch.patches_per_side, patch.split_op};
      result.extra_mac_fraction_without_input = patch.ExtraMacFraction();
    }
    report.modes.push_back(std::move(result));
  }
  return report;
}

namespace {

// The layer column: as wide as the longest name up to kMaxNameWidth; longer names (an imported
// model's tensor paths) keep their end, where the layer's own name is.
constexpr size_t kMinNameWidth = 15, kMaxNameWidth = 40;

size_t NameWidth(const core::Graph& graph) {
  size_t width = kMinNameWidth;
  for (const core::Op& op : graph.ops()) width = std::max(width, op.name.size());
  return std::min(width, kMaxNameWidth);
}

std::string FitName(const std::string& name, size_t width) {
  return name.size() <= width ? name : "..." + name.substr(name.size() - (width - 3));
}

// One row per op: output, MACs and the bytes live while it runs in every mode.
void LayerTable(std::ostringstream& out, const core::Graph& graph, const MemoryReport& report) {
  const size_t name_width = NameWidth(graph);
  out << Pad("#", 4) << Pad("layer", name_width + 1) << Pad("kind", 18) << Pad("output", 14) << PadLeft("MACs", 11);
  for (PlanMode mode : kAllPlanModes) out << PadLeft(std::string(PlanModeName(mode)), 13);
  out << "\n";
  const int num_ops = static_cast<int>(graph.ops().size());
  for (int i = 0; i < num_ops; ++i) {
    const core::Op& op = graph.op(i);
    out << Pad(std::to_string(i), 4) << Pad(FitName(op.name, name_width), name_width + 1)
        << Pad(std::string(core::Traits(op.kind).name), 18) << Pad(graph.OutputOf(op).shape.ToString(), 14)
        << PadLeft(std::to_string(graph.Macs(op)), 11);
    for (const ModeResult& m : report.modes) out << PadLeft(KiB(m.plan.live_bytes[i]), 13);
    const ModeResult& patch = report.modes.back();
    if (patch.plan.patch && i == patch.plan.patch->split_op - 1) out << "  <- patch stage ends";
    out << "\n";
  }
}

// The arena of every mode, input counted and excluded, with the patch stage it chose.
void PeakTable(std::ostringstream& out, const core::Graph& graph, const MemoryReport& report) {
  out << "\nPeak SRAM for activations (arena; kB = 1024 B):\n";
  out << Pad("mode", 11) << PadLeft("input counted", 15) << PadLeft("input excluded", 16) << PadLeft("max live", 12)
      << "  notes\n";
  for (const ModeResult& m : report.modes) {
    out << Pad(std::string(PlanModeName(m.plan.mode)), 11) << PadLeft(KiB(m.plan.arena_bytes), 15)
        << PadLeft(KiB(m.arena_without_input), 16) << PadLeft(KiB(m.plan.MaxLiveBytes()), 12);
    if (m.plan.mode == PlanMode::kPerLayer) out << "  TFLite Micro's planner: a buffer per tensor, greedy by size";
    if (m.plan.patch) {
      const PatchPlan& p = *m.plan.patch;
      char note[200];
      std::snprintf(note, sizeof(note), "  %dx%d patches, stage = ops 0..%d (ends '%s' %s), +%.1f%% MACs",
                    p.patches_per_side, p.patches_per_side, p.split_op - 1, graph.op(p.split_op - 1).name.c_str(),
                    graph.tensor(p.stage_output).shape.ToString().c_str(), 100.0 * p.ExtraMacFraction());
      out << note;
      if (m.patch_without_input) {
        char excluded[120];
        std::snprintf(excluded, sizeof(excluded), "; input excluded: %dx%d, ops 0..%d, +%.1f%% MACs",
                      m.patch_without_input->patches_per_side, m.patch_without_input->patches_per_side,
                      m.patch_without_input->split_op - 1, 100.0 * m.extra_mac_fraction_without_input);
        out << excluded;
      }
    }
    out << "\n";
  }
  const int64_t per_layer = report.modes.front().plan.arena_bytes;
  const int64_t patch = report.modes.back().plan.arena_bytes;
  char ratio[160];
  std::snprintf(
      ratio, sizeof(ratio), "per_layer / patch = %.2fx (input counted), %.2fx (input excluded)\n",
      static_cast<double>(per_layer) / patch,
      static_cast<double>(report.modes.front().arena_without_input) / report.modes.back().arena_without_input);
  out << ratio;
}

// Flash per mode: the weights as that mode's kernels store them (wide layers take int16 where the
// optimized kernels run them), bias and requantization, and with a profile the code; then
// whether each mode fits.
void FlashAndBudgets(std::ostringstream& out, const core::Graph& graph, const MemoryReport& report) {
  const FlashEstimate& data = report.modes.front().flash;
  out << "\nFlash: bias " << KiB(data.bias_bytes) << " + requant " << KiB(data.requant_bytes) << " in every mode";
  out << (report.hw ? ", code measured for " + report.hw->core : " (code not counted without a hardware profile)")
      << ":\n";
  for (const ModeResult& m : report.modes) {
    out << "  " << Pad(std::string(PlanModeName(m.plan.mode)), 10) << "weights " << KiB(m.flash.weight_bytes);
    if (report.hw) {
      out << " + graph code " << KiB(m.flash.graph_code_bytes) << " + runtime kernels "
          << KiB(m.flash.runtime_code_bytes);
    }
    out << " = " << KiB(m.flash.Total()) << "\n";
  }
  if (const int wide = core::CountWideLayers(graph); wide > 0) {
    out << "  (" << wide << " of " << core::CountOps(graph, core::OpKind::kPointwiseConv2d)
        << " pointwise layers store their weights wide, int16, where the optimized kernels run: every mode but "
           "per_layer)\n";
  }
  if (!report.hw) return;
  const core::HwProfile& hw = *report.hw;
  out << "Budgets of " << hw.name << ": SRAM " << KiB(hw.SramBudget()) << " (" << KiB(hw.sram_bytes) << " - "
      << KiB(hw.reserved_sram_bytes) << " reserved), flash " << KiB(hw.FlashBudget()) << "\n";
  for (const ModeResult& m : report.modes) {
    out << "  " << Pad(std::string(PlanModeName(m.plan.mode)), 10)
        << (m.plan.arena_bytes <= hw.SramBudget() ? "fits SRAM" : "exceeds SRAM") << ", "
        << (m.flash.Total() <= hw.FlashBudget() ? "fits flash" : "exceeds flash") << "\n";
  }
}

}  // namespace

std::string FormatMemoryTable(const core::Graph& graph, const MemoryReport& report) {
  std::ostringstream out;
  out << "network " << report.network << "  input " << report.input.ToString() << "  MACs " << report.macs / 1e6
      << "M  params " << report.params / 1e6 << "M\n";
  LayerTable(out, graph, report);
  PeakTable(out, graph, report);
  FlashAndBudgets(out, graph, report);
  return out.str();
}

}  // namespace kilonas::memory_planner
