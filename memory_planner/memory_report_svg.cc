#include <algorithm>
#include <cstdio>
#include <sstream>

#include "memory_planner/memory_report.h"

namespace kilonas::memory_planner {
namespace {

constexpr double kWidth = 900, kHeight = 420, kLeft = 70, kRight = 160, kTop = 40, kBottom = 60;
constexpr const char* kColors[] = {"#d62728", "#1f77b4", "#2ca02c"};

std::string Num(double v) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.1f", v);
  return text;
}

}  // namespace

std::string MemoryReportSvg(const core::Graph& graph, const MemoryReport& report) {
  const size_t num_ops = graph.ops().size();
  double max_kb = 1;
  for (const ModeResult& m : report.modes) max_kb = std::max(max_kb, m.plan.arena_bytes / 1024.0);
  if (report.hw) max_kb = std::max(max_kb, report.hw->SramBudget() / 1024.0);
  max_kb *= 1.08;
  const double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  auto x = [&](size_t i) { return kLeft + plot_w * (num_ops > 1 ? double(i) / (num_ops - 1) : 0.5); };
  auto y = [&](double kb) { return kTop + plot_h * (1.0 - kb / max_kb); };

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kLeft << "\" y=\"22\" font-size=\"15\">Live activation memory per layer: " << report.network
      << " (" << report.input.ToString() << ", input counted)</text>\n";
  for (int tick = 0; tick <= 5; ++tick) {
    const double kb = max_kb * tick / 5;
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << Num(y(kb)) << "\" y2=\""
        << Num(y(kb)) << "\" stroke=\"#ddd\"/>\n"
        << "<text x=\"" << kLeft - 6 << "\" y=\"" << Num(y(kb) + 4) << "\" text-anchor=\"end\">" << Num(kb)
        << "</text>\n";
  }
  svg << "<text transform=\"translate(16," << kTop + plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << "live bytes (kB)</text>\n"
      << "<text x=\"" << kLeft + plot_w / 2 << "\" y=\"" << kHeight - 18
      << "\" text-anchor=\"middle\">op index (execution order)</text>\n";
  for (size_t i = 0; i < num_ops; i += std::max<size_t>(1, num_ops / 10)) {
    svg << "<text x=\"" << Num(x(i)) << "\" y=\"" << kTop + plot_h + 16 << "\" text-anchor=\"middle\">" << i
        << "</text>\n";
  }
  if (report.hw) {
    const double kb = report.hw->SramBudget() / 1024.0;
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + plot_w << "\" y1=\"" << Num(y(kb)) << "\" y2=\""
        << Num(y(kb)) << "\" stroke=\"black\" stroke-dasharray=\"6,4\"/>\n"
        << "<text x=\"" << kLeft + plot_w + 6 << "\" y=\"" << Num(y(kb) + 4) << "\">" << report.hw->name
        << " SRAM budget</text>\n";
  }
  for (size_t m = 0; m < report.modes.size(); ++m) {
    const MemoryPlan& plan = report.modes[m].plan;
    svg << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << kColors[m] << "\" points=\"";
    for (size_t i = 0; i < num_ops; ++i) svg << Num(x(i)) << "," << Num(y(plan.live_bytes[i] / 1024.0)) << " ";
    svg << "\"/>\n";
    const double legend_y = kTop + 20 + 36 * m;
    svg << "<line x1=\"" << kLeft + plot_w + 10 << "\" x2=\"" << kLeft + plot_w + 30 << "\" y1=\"" << legend_y
        << "\" y2=\"" << legend_y << "\" stroke=\"" << kColors[m] << "\" stroke-width=\"3\"/>\n"
        << "<text x=\"" << kLeft + plot_w + 36 << "\" y=\"" << legend_y + 4 << "\">" << PlanModeName(plan.mode)
        << "</text>\n<text x=\"" << kLeft + plot_w + 36 << "\" y=\"" << legend_y + 18 << "\">peak "
        << KiB(plan.arena_bytes) << "</text>\n";
  }
  svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << plot_w << "\" height=\"" << plot_h
      << "\" fill=\"none\" stroke=\"black\"/>\n</svg>\n";
  return svg.str();
}

}  // namespace kilonas::memory_planner
