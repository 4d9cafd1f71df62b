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

// Where op i and a number of kB fall in the picture.
struct Scale {
  size_t num_ops;
  double max_kb;
  double plot_w = kWidth - kLeft - kRight, plot_h = kHeight - kTop - kBottom;
  double X(size_t i) const { return kLeft + plot_w * (num_ops > 1 ? double(i) / (num_ops - 1) : 0.5); }
  double Y(double kb) const { return kTop + plot_h * (1.0 - kb / max_kb); }
};

void Axes(std::ostringstream& svg, const Scale& s) {
  for (int tick = 0; tick <= 5; ++tick) {
    const double kb = s.max_kb * tick / 5;
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + s.plot_w << "\" y1=\"" << Num(s.Y(kb)) << "\" y2=\""
        << Num(s.Y(kb)) << "\" stroke=\"#ddd\"/>\n"
        << "<text x=\"" << kLeft - 6 << "\" y=\"" << Num(s.Y(kb) + 4) << "\" text-anchor=\"end\">" << Num(kb)
        << "</text>\n";
  }
  svg << "<text transform=\"translate(16," << kTop + s.plot_h / 2 << ") rotate(-90)\" text-anchor=\"middle\">"
      << "live bytes (kB)</text>\n"
      << "<text x=\"" << kLeft + s.plot_w / 2 << "\" y=\"" << kHeight - 18
      << "\" text-anchor=\"middle\">op index (execution order)</text>\n";
  for (size_t i = 0; i < s.num_ops; i += std::max<size_t>(1, s.num_ops / 10)) {
    svg << "<text x=\"" << Num(s.X(i)) << "\" y=\"" << kTop + s.plot_h + 16 << "\" text-anchor=\"middle\">" << i
        << "</text>\n";
  }
}

// One legend entry right of the plot, `row` entries down: a line sample and two lines of text.
void LegendEntry(std::ostringstream& svg, const Scale& s, size_t row, const std::string& stroke,
                 const std::string& title, const std::string& detail) {
  const double legend_y = kTop + 20 + 36 * static_cast<double>(row);
  svg << "<line x1=\"" << kLeft + s.plot_w + 10 << "\" x2=\"" << kLeft + s.plot_w + 30 << "\" y1=\"" << legend_y
      << "\" y2=\"" << legend_y << "\" " << stroke << "/>\n"
      << "<text x=\"" << kLeft + s.plot_w + 36 << "\" y=\"" << legend_y + 4 << "\">" << title << "</text>\n<text x=\""
      << kLeft + s.plot_w + 36 << "\" y=\"" << legend_y + 18 << "\">" << detail << "</text>\n";
}

}  // namespace

std::string MemoryReportSvg(const core::Graph& graph, const MemoryReport& report) {
  double max_kb = 1;
  for (const ModeResult& m : report.modes) max_kb = std::max(max_kb, m.plan.arena_bytes / 1024.0);
  // The budget joins the axis only when it is near the peaks: a budget many times larger would
  // squash the curves into the bottom of the plot. Either way the legend names it.
  const double budget_kb = report.hw ? report.hw->SramBudget() / 1024.0 : 0;
  const bool budget_on_scale = report.hw && budget_kb <= 1.5 * max_kb;
  if (budget_on_scale) max_kb = std::max(max_kb, budget_kb);
  const Scale s{graph.ops().size(), max_kb * 1.08};

  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" font-family=\"sans-serif\" font-size=\"12\">\n"
      << "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
      << "<text x=\"" << kLeft << "\" y=\"22\" font-size=\"15\">Live activation memory per layer: " << report.network
      << " (" << report.input.ToString() << ", input counted)</text>\n";
  Axes(svg, s);
  if (budget_on_scale) {
    svg << "<line x1=\"" << kLeft << "\" x2=\"" << kLeft + s.plot_w << "\" y1=\"" << Num(s.Y(budget_kb)) << "\" y2=\""
        << Num(s.Y(budget_kb)) << "\" stroke=\"black\" stroke-dasharray=\"6,4\"/>\n";
  }
  for (size_t m = 0; m < report.modes.size(); ++m) {
    const MemoryPlan& plan = report.modes[m].plan;
    svg << "<polyline fill=\"none\" stroke-width=\"2\" stroke=\"" << kColors[m] << "\" points=\"";
    for (size_t i = 0; i < s.num_ops; ++i) svg << Num(s.X(i)) << "," << Num(s.Y(plan.live_bytes[i] / 1024.0)) << " ";
    svg << "\"/>\n";
    LegendEntry(svg, s, m, "stroke=\"" + std::string(kColors[m]) + "\" stroke-width=\"3\"",
                std::string(PlanModeName(plan.mode)), "peak " + KiB(plan.arena_bytes));
  }
  if (report.hw) {  // below the modes: never over a mode's label
    LegendEntry(svg, s, report.modes.size(), "stroke=\"black\" stroke-dasharray=\"6,4\"", report.hw->name + " budget",
                KiB(report.hw->SramBudget()) + (budget_on_scale ? "" : " (above)"));
  }
  svg << "<rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << s.plot_w << "\" height=\"" << s.plot_h
      << "\" fill=\"none\" stroke=\"black\"/>\n</svg>\n";
  return svg.str();
}

}  // namespace kilonas::memory_planner
