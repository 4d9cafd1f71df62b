#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/file_io.h"
#include "core/graph_json.h"
#include "memory_planner/memory_report.h"
#include "report/search_report.h"
#include "search/candidate_json.h"
#include "search/search_config.h"

namespace kilonas::report {
namespace {

// Scatter of validation accuracy vs peak SRAM of every evaluated candidate, winner in red.
std::string AccuracySramSvg(const SearchReport& r) {
  const auto& all = r.evolution.evaluated;
  double max_kb = 1, min_acc = 1, max_acc = 0;
  for (const auto& c : all) {
    min_acc = std::min(min_acc, c.accuracy);
    max_acc = std::max(max_acc, c.accuracy);
    max_kb = std::max(max_kb, 1.15 * c.resources.sram_bytes / 1024.0);
  }
  const double budget_kb = r.budgets.sram_bytes / 1024.0;
  if (max_acc <= min_acc) max_acc = min_acc + 0.01;
  const double w = 640, h = 400, left = 70, right = 20, top = 40, bottom = 50;
  auto x = [&](double kb) { return left + (w - left - right) * std::min(kb / max_kb, 1.0); };
  auto y = [&](double acc) { return top + (h - top - bottom) * (1 - (acc - min_acc) / (max_acc - min_acc)); };
  std::ostringstream s;
  char buf[200];
  s << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << w << "\" height=\"" << h
    << "\" font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
    << "<text x=\"" << left << "\" y=\"22\" font-size=\"15\">Validation accuracy vs peak SRAM (" << all.size()
    << " evaluated subnets)</text>\n";
  std::snprintf(buf, sizeof(buf), "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">peak SRAM (kB, %s plan)</text>\n",
                (left + w - right) / 2, h - 12, r.config.execution_mode.c_str());
  s << buf;
  std::snprintf(buf, sizeof(buf),
                "<text transform=\"translate(16,%.0f) rotate(-90)\" text-anchor=\"middle\">accuracy (%%)</text>\n",
                (top + h - bottom) / 2);
  s << buf;
  for (int t = 0; t <= 4; ++t) {
    const double acc = min_acc + (max_acc - min_acc) * t / 4, kb = max_kb * t / 4;
    std::snprintf(buf, sizeof(buf), "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%.1f</text>\n", left - 6,
                  y(acc) + 4, 100 * acc);
    s << buf;
    std::snprintf(buf, sizeof(buf), "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">%.0f</text>\n", x(kb),
                  h - bottom + 16, kb);
    s << buf;
  }
  if (budget_kb <= max_kb) {  // the SRAM budget, when it is within the plotted range
    std::snprintf(buf, sizeof(buf),
                  "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\" stroke=\"black\" stroke-dasharray=\"5,4\"/>\n",
                  x(budget_kb), x(budget_kb), top, h - bottom);
    s << buf;
  }
  for (const auto& c : all) {
    std::snprintf(buf, sizeof(buf), "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"#1f77b4\" fill-opacity=\"0.5\"/>\n",
                  x(c.resources.sram_bytes / 1024.0), y(c.accuracy));
    s << buf;
  }
  const auto& best = r.evolution.population.front();
  std::snprintf(buf, sizeof(buf), "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"6\" fill=\"#d62728\"/>\n",
                x(best.resources.sram_bytes / 1024.0), y(best.accuracy));
  s << buf << "<rect x=\"" << left << "\" y=\"" << top << "\" width=\"" << w - left - right << "\" height=\""
    << h - top - bottom << "\" fill=\"none\" stroke=\"black\"/>\n</svg>\n";
  return s.str();
}

// The search config as run, with the profile and the budgets it ran under.
nlohmann::ordered_json ConfigUsedJson(const SearchReport& r) {
  nlohmann::ordered_json used = nlohmann::ordered_json::parse(search::SearchConfigToJson(r.config));
  used["hw_profile"] = r.hw.name;
  nlohmann::ordered_json& budgets = used["budgets"] = nlohmann::ordered_json::object();
  for (const search::Objective& o : search::Objectives()) {
    if (o.integral) {
      budgets[o.key] = static_cast<int64_t>(o.budget(r.budgets));
    } else {
      budgets[o.key] = o.budget(r.budgets);
    }
  }
  return used;
}

nlohmann::ordered_json SearchLogJson(const SearchReport& r) {
  nlohmann::ordered_json log = nlohmann::ordered_json::array();
  for (const auto& g : r.evolution.log) {
    log.push_back({{"generation", g.generation},
                   {"best_accuracy", g.best_accuracy},
                   {"mean_accuracy", g.mean_accuracy},
                   {"best", search::CandidateToJson(g.best)}});
  }
  return log;
}

// report.md up to the winner's memory table: stage 1, the evolution, the winner.
std::string ReportMarkdown(const SearchReport& r, size_t pareto_size) {
  std::ostringstream md;
  md << "# kilonas search: " << r.hw.name << "\n\n"
     << r.hw.description << "\n\n## Stage 1\n\n```\n"
     << FormatSpaceTable(r) << "```\n\n## Stage 2 (evolution)\n\n| generation | best | mean |\n|---|---|---|\n";
  for (const auto& g : r.evolution.log) {
    char row[96];
    std::snprintf(row, sizeof(row), "| %d | %.2f%% | %.2f%% |\n", g.generation, 100 * g.best_accuracy,
                  100 * g.mean_accuracy);
    md << row;
  }
  md << "\n"
     << r.evolution.evaluated.size() << " subnets scored, " << r.supernet_evaluations
     << " of them (or samples) evaluated with the supernet";
  if (r.surrogate) {
    char line[200];
    std::snprintf(line, sizeof(line),
                  "; fitness: MLP accuracy predictor fitted on %d measured subnets (held-out RMSE %.2f points, Kendall "
                  "tau %.3f on %d), the best %d re-measured",
                  r.surrogate->fitted, 100 * r.surrogate->rmse, r.surrogate->kendall_tau, r.surrogate->held_out,
                  r.config.predictor_remeasure_best);
    md << line;
  }
  md << ". Pareto front (accuracy, " << search::ParetoObjectiveNames() << "): " << pareto_size
     << " subnets (pareto.json).\n\n![accuracy vs SRAM](accuracy_vs_sram.svg)\n\n## Winner\n\n```\n"
     << FormatSummary(r) << "```\n\n```json\n"
     << core::SubnetConfigToJson(r.evolution.population.front().config) << "```\n\n"
     << "![per-layer memory of the winner](winner_memory.svg)\n";
  return md.str();
}

}  // namespace

core::Status WriteSearchOutputs(const std::string& dir, const SearchReport& r) {
  nlohmann::ordered_json pareto = nlohmann::ordered_json::array();
  for (const auto& c : search::ParetoFront(r.evolution.evaluated)) pareto.push_back(search::CandidateToJson(c));
  std::string md = ReportMarkdown(r, pareto.size());
  std::vector<std::pair<std::string, std::string>> files = {{"config_used.json", ConfigUsedJson(r).dump(2) + "\n"},
                                                            {"search_log.json", SearchLogJson(r).dump(2) + "\n"},
                                                            {"pareto.json", pareto.dump(2) + "\n"},
                                                            {"accuracy_vs_sram.svg", AccuracySramSvg(r)}};
  // A subnet of the space as its config; the plain-CNN baseline, which is in no space, as its graph.
  if (r.plain_cnn && r.best_graph) {
    files.emplace_back("best_graph.json", core::GraphToJson(*r.best_graph).dump(2) + "\n");
  } else {
    files.emplace_back("best_subnet.json", core::SubnetConfigToJson(r.evolution.population.front().config));
  }
  if (r.best_graph) {
    core::Result<memory_planner::MemoryReport> memory =
        memory_planner::BuildMemoryReport(*r.best_graph, "winner", r.hw);
    if (memory.ok()) {
      files.emplace_back("winner_memory.svg", memory_planner::MemoryReportSvg(*r.best_graph, memory.value()));
      files.emplace_back("winner_memory.json", memory_planner::MemoryReportToJson(*r.best_graph, memory.value()));
      md += "\n```\n" + memory_planner::FormatMemoryTable(*r.best_graph, memory.value()) + "```\n";
    }
  }
  if (r.int8_confusion) {
    md += "\n## Per-class test accuracy\n\n" + FormatConfusion(*r.int8_confusion, "int8 engine on the test split") +
          "\n![confusion matrix of the int8 engine](confusion_matrix.svg)\n";
    files.emplace_back("confusion_matrix.svg",
                       ConfusionSvg(*r.int8_confusion, "Confusion matrix: int8 engine, test split"));
  }
  files.emplace_back("report.md", md);
  for (const auto& [name, content] : files) {
    if (core::Status s = core::WriteFileAtomic(dir + "/" + name, content); !s.ok()) return s;
  }
  return core::Status::Ok();
}

}  // namespace kilonas::report
