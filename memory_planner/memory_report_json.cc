#include <nlohmann/json.hpp>

#include "memory_planner/memory_report.h"

namespace kilonas::memory_planner {

namespace {

nlohmann::ordered_json ModeJson(const core::Graph& graph, const ModeResult& m) {
  nlohmann::ordered_json j;
  j["mode"] = PlanModeName(m.plan.mode);
  j["arena_bytes"] = m.plan.arena_bytes;
  j["arena_bytes_input_excluded"] = m.arena_without_input;
  j["max_live_bytes"] = m.plan.MaxLiveBytes();
  if (m.plan.patch) {
    const PatchPlan& p = *m.plan.patch;
    j["patch"] = {{"patches_per_side", p.patches_per_side},
                  {"split_op", p.split_op},
                  {"stage_last_op", graph.op(p.split_op - 1).name},
                  {"stage_macs", p.stage_macs},
                  {"patched_stage_macs", p.patched_stage_macs},
                  {"extra_macs", p.ExtraMacs()},
                  {"extra_mac_fraction_of_network", p.ExtraMacFraction()}};
    if (m.patch_without_input) {
      j["patch_input_excluded"] = {{"patches_per_side", m.patch_without_input->patches_per_side},
                                   {"split_op", m.patch_without_input->split_op},
                                   {"extra_mac_fraction_of_network", m.extra_mac_fraction_without_input}};
    }
  }
  nlohmann::ordered_json buffers = nlohmann::ordered_json::array();
  for (const PlannedBuffer& b : m.plan.buffers) {
    buffers.push_back({{"label", b.label},
                       {"kind", b.kind == BufferKind::kScratch ? "scratch" : "activation"},
                       {"offset", b.offset},
                       {"size", b.request.size},
                       {"first_op", b.request.first},
                       {"last_op", b.request.last}});
  }
  j["buffers"] = std::move(buffers);
  return j;
}

// One row per op: its output and MACs, and the bytes live while it runs in every mode.
nlohmann::ordered_json LayersJson(const core::Graph& graph, const MemoryReport& report) {
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (size_t i = 0; i < graph.ops().size(); ++i) {
    const core::Op& op = graph.op(static_cast<int>(i));
    const core::Shape& s = graph.OutputOf(op).shape;
    nlohmann::ordered_json row{{"op", op.name},
                               {"kind", core::Traits(op.kind).name},
                               {"output_shape", {s.h, s.w, s.c}},
                               {"macs", graph.Macs(op)}};
    for (const ModeResult& m : report.modes) {
      row["live_bytes_" + std::string(PlanModeName(m.plan.mode))] = m.plan.live_bytes[i];
    }
    layers.push_back(std::move(row));
  }
  return layers;
}

nlohmann::ordered_json FlashJson(const MemoryReport& report) {
  nlohmann::ordered_json flash = nlohmann::ordered_json::object();
  for (const ModeResult& m : report.modes) {
    const FlashEstimate& f = m.flash;
    flash[std::string(PlanModeName(m.plan.mode))] = {{"weight_bytes", f.weight_bytes},
                                                     {"bias_bytes", f.bias_bytes},
                                                     {"requant_bytes", f.requant_bytes},
                                                     {"graph_code_bytes", f.graph_code_bytes},
                                                     {"runtime_code_bytes", f.runtime_code_bytes},
                                                     {"total_bytes", f.Total()}};
  }
  return flash;
}

}  // namespace

std::string MemoryReportToJson(const core::Graph& graph, const MemoryReport& report) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = 1;
  doc["network"] = report.network;
  doc["input_shape"] = {report.input.h, report.input.w, report.input.c};
  doc["macs"] = report.macs;
  doc["params"] = report.params;
  doc["note"] =
      "arena_bytes counts the network input as an arena buffer; arena_bytes_input_excluded plans "
      "the same mode with the input outside the arena (how MCUNetV2 reports peak memory)";
  nlohmann::ordered_json modes = nlohmann::ordered_json::array();
  for (const ModeResult& m : report.modes) modes.push_back(ModeJson(graph, m));
  doc["modes"] = std::move(modes);
  doc["layers"] = LayersJson(graph, report);
  doc["flash"] = FlashJson(report);
  if (report.hw) {
    doc["hw"] = {{"name", report.hw->name},
                 {"sram_budget_bytes", report.hw->SramBudget()},
                 {"flash_budget_bytes", report.hw->FlashBudget()},
                 {"code_size", report.hw->code_size}};
  }
  return doc.dump(2) + "\n";
}

}  // namespace kilonas::memory_planner
