#include "report/search_report.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace kilonas::report {

std::string FormatSpaceTable(const SearchReport& r) {
  std::ostringstream out;
  char line[160];
  out << "stage 1 (TinyNAS): " << r.config.stage1_samples << " samples per sub-space, budgets";
  for (const search::Objective& o : search::Objectives()) {
    out << (o.id == search::Objectives().front().id ? " " : ", ") << o.name << " "
        << search::FormatBudget(o, r.budgets);
  }
  out << "\n";
  if (!r.spaces.empty() && r.spaces.front().shrunk) {
    out << "  no random draw of any sub-space fit: ranked again with each draw shrunk until it fits\n";
  }
  out << "  width  resolution  fitting  mean MACs of fitting\n";
  for (const search::SpaceChoice& s : r.spaces) {
    std::snprintf(line, sizeof(line), "  %5.2f  %10d  %3d/%-3d  %8.2fM\n", s.width, s.resolution, s.feasible, s.samples,
                  s.mean_feasible_macs / 1e6);
    out << line;
  }
  return out.str();
}

namespace {

// The plan the winner was exported with: "patch 2x2", or "inplace" where the config asked for
// patches that would not have lowered the peak (the planner then deploys in place).
std::string DeployedPlan(const SearchReport& r) {
  if (!r.best_graph) return r.config.execution_mode;  // nothing exported
  const engine::ExecutionConfig& e = r.execution;
  std::string text(memory_planner::PlanModeName(e.mode));
  if (e.mode == memory_planner::PlanMode::kPatch) {
    return text + " " + std::to_string(e.patches_per_side) + "x" + std::to_string(e.patches_per_side);
  }
  if (text != r.config.execution_mode) text += "; patches would not lower its peak";
  return text;
}

}  // namespace

std::string FormatSummary(const SearchReport& r) {
  std::ostringstream out;
  const search::Candidate& best = r.evolution.population.front();
  char line[320];
  std::snprintf(
      line, sizeof(line),
      "winner: r%d w%.2f, %.2fM MACs, peak SRAM %.1f kB (%s), flash %.1f kB, latency %.1f ms (LUT), validation "
      "accuracy %.2f%%\n",
      best.config.resolution, best.config.width_mult, best.resources.macs / 1e6, best.resources.sram_bytes / 1024.0,
      DeployedPlan(r).c_str(), best.resources.flash_bytes / 1024.0, best.resources.latency_ms, 100 * best.accuracy);
  out << line;
  if (r.plain_cnn) {
    out << "baseline: plain CNN (3x3 convolutions, pooling, classifier) trained from scratch; graph in "
           "best_graph.json\n";
  } else {
    out << "parent selection: "
        << (r.config.evolution.multi_objective
                ? "Pareto rank over accuracy, " + search::ParetoObjectiveNames() + " (--pareto)"
                : std::string("accuracy"))
        << "; Pareto front of the scored candidates in pareto.json\n";
  }
  std::snprintf(line, sizeof(line), "test accuracy on %lld images%s: float %.2f%%, int8 engine %.2f%%\n",
                static_cast<long long>(r.test_images),
                r.finetune_epochs > 0 ? (" (fine-tuned " + std::to_string(r.finetune_epochs) + " epochs)").c_str() : "",
                100 * r.float_test_accuracy, 100 * r.int8_test_accuracy);
  out << line;
  if (r.best_graph) {
    const core::Graph& g = *r.best_graph;
    std::snprintf(line, sizeof(line), "weights: %d of %d pointwise layers stored wide (within the flash budget)\n",
                  core::CountWideLayers(g), core::CountOps(g, core::OpKind::kPointwiseConv2d));
    out << line;
  }
  if (r.export_result && r.export_result->run) {
    const engine::ExportResult& e = *r.export_result;
    std::snprintf(line, sizeof(line),
                  "firmware (%s, qemu): output %s, %llu instructions (%.1f ms at %.0f MHz, cpi %.2f), arena %.1f kB, "
                  "flash %.1f kB, RAM %.1f kB\n",
                  r.hw.name.c_str(), e.BitExact() ? "bit-exact with the host" : "MISMATCH",
                  static_cast<unsigned long long>(e.run->Instructions()), FirmwareMs(r), r.hw.clock_mhz, r.hw.cpi,
                  e.arena_bytes / 1024.0, e.build->FlashBytes() / 1024.0, e.build->RamBytes() / 1024.0);
    out << line;
    const double measured = FirmwareMs(r), predicted = r.predicted_latency.ms;
    std::snprintf(line, sizeof(line), "latency: predicted %.2f ms (LUT), measured %.2f ms in the firmware (%+.2f%%)\n",
                  predicted, measured, measured > 0 ? 100 * (predicted - measured) / measured : 0.0);
    out << line;
  }
  if (!r.armnn_check.empty()) out << "model.tflite in Arm NN (first test images): " << r.armnn_check << "\n";
  int candidate_misses = 0;
  for (const search::Candidate& c : r.evolution.evaluated) candidate_misses += c.resources.latency_misses > 0;
  std::snprintf(line, sizeof(line),
                "LUT misses (kernel calls priced by the fallback model): winner %d of %d calls; %d of %zu scored "
                "candidates had any\n",
                r.predicted_latency.misses, r.predicted_latency.calls, candidate_misses, r.evolution.evaluated.size());
  out << line;
  std::snprintf(line, sizeof(line), "search took %.1f s; outputs in the output directory (report.md)\n", r.seconds);
  out << line;
  return out.str();
}

double FirmwareMs(const SearchReport& r) {
  if (!r.export_result || !r.export_result->run) return 0;
  return static_cast<double>(r.export_result->run->Instructions()) * r.hw.cpi / (r.hw.clock_mhz * 1e3);
}

std::optional<std::string> BudgetBrokenInFirmware(const SearchReport& r) {
  if (!r.export_result || !r.export_result->run) return std::nullopt;
  char text[256];
  if (r.budgets.latency_ms > 0 && FirmwareMs(r) > r.budgets.latency_ms) {
    std::snprintf(text, sizeof(text),
                  "the winner runs %.2f ms in the firmware, over the %.2f ms latency budget (the LUT predicted %.2f "
                  "ms): re-profile the LUT (nas_profile --hw <profile>) or lower --latency-ms",
                  FirmwareMs(r), r.budgets.latency_ms, r.predicted_latency.ms);
    return std::string(text);
  }
  if (r.export_result->arena_bytes > r.budgets.sram_bytes) {
    std::snprintf(text, sizeof(text), "the winner's arena is %lld bytes, over the %lld byte SRAM budget",
                  static_cast<long long>(r.export_result->arena_bytes), static_cast<long long>(r.budgets.sram_bytes));
    return std::string(text);
  }
  return std::nullopt;
}

}  // namespace kilonas::report
