#include "report/confusion.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace kilonas::report {

core::Result<ConfusionMatrix> ConfusionMatrix::Count(const std::vector<int>& labels, const std::vector<int>& predicted,
                                                     std::vector<std::string> class_names) {
  if (labels.size() != predicted.size()) {
    return core::Error{std::to_string(labels.size()) + " labels but " + std::to_string(predicted.size()) +
                       " predictions"};
  }
  ConfusionMatrix m;
  const size_t n = class_names.size();
  m.names_ = std::move(class_names);
  m.counts_.assign(n, std::vector<int64_t>(n, 0));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || static_cast<size_t>(labels[i]) >= n || predicted[i] < 0 ||
        static_cast<size_t>(predicted[i]) >= n) {
      return core::Error{"image " + std::to_string(i) + ": label " + std::to_string(labels[i]) + " or prediction " +
                         std::to_string(predicted[i]) + " outside the " + std::to_string(n) + " classes"};
    }
    ++m.counts_[static_cast<size_t>(labels[i])][static_cast<size_t>(predicted[i])];
  }
  return m;
}

int64_t ConfusionMatrix::Images(int truth) const {
  int64_t sum = 0;
  for (int64_t c : counts_[static_cast<size_t>(truth)]) sum += c;
  return sum;
}

int64_t ConfusionMatrix::Total() const {
  int64_t sum = 0;
  for (int t = 0; t < classes(); ++t) sum += Images(t);
  return sum;
}

double ConfusionMatrix::Accuracy() const {
  int64_t correct = 0;
  for (int t = 0; t < classes(); ++t) correct += At(t, t);
  return Total() > 0 ? static_cast<double>(correct) / static_cast<double>(Total()) : 0.0;
}

double ConfusionMatrix::ClassAccuracy(int truth) const {
  const int64_t images = Images(truth);
  return images > 0 ? static_cast<double>(At(truth, truth)) / static_cast<double>(images) : 0.0;
}

int ConfusionMatrix::MajorityClass() const {
  int best = 0;
  for (int t = 1; t < classes(); ++t) {
    if (Images(t) > Images(best)) best = t;
  }
  return best;
}

std::string FormatConfusion(const ConfusionMatrix& m, const std::string& what) {
  std::ostringstream out;
  char line[256];
  const int majority = m.MajorityClass();
  const double total = static_cast<double>(std::max<int64_t>(m.Total(), 1));
  std::snprintf(line, sizeof(line),
                "%s: %.2f%% on %lld images. Always answering the majority class (%s, %lld images) would score "
                "%.2f%%; chance is %.2f%% (1 of %d classes).\n\n",
                what.c_str(), 100 * m.Accuracy(), static_cast<long long>(m.Total()),
                m.names()[static_cast<size_t>(majority)].c_str(), static_cast<long long>(m.Images(majority)),
                100 * m.Images(majority) / total, 100.0 / m.classes(), m.classes());
  out << line << "| class | images | correct | accuracy |\n|---|---|---|---|\n";
  for (int t = 0; t < m.classes(); ++t) {
    std::snprintf(line, sizeof(line), "| %d %s | %lld | %lld | %.2f%% |\n", t,
                  m.names()[static_cast<size_t>(t)].c_str(), static_cast<long long>(m.Images(t)),
                  static_cast<long long>(m.At(t, t)), 100 * m.ClassAccuracy(t));
    out << line;
  }
  if (m.classes() > kMaxMatrixClasses) return out.str();
  out << "\nConfusion matrix (rows: true class, columns: predicted):\n\n| true \\ predicted |";
  for (int p = 0; p < m.classes(); ++p) out << " " << p << " |";
  out << "\n|---|";
  for (int p = 0; p < m.classes(); ++p) out << "---|";
  out << "\n";
  for (int t = 0; t < m.classes(); ++t) {
    out << "| " << t << " " << m.names()[static_cast<size_t>(t)] << " |";
    for (int p = 0; p < m.classes(); ++p) out << " " << m.At(t, p) << " |";
    out << "\n";
  }
  return out.str();
}

namespace {

// Text for an SVG element: the five characters XML gives meaning to, escaped.
std::string XmlText(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

std::string ConfusionSvg(const ConfusionMatrix& m, const std::string& title) {
  const int n = m.classes(), cell = n <= 10 ? 36 : n <= 30 ? 20 : 8, left = 150, top = 60;
  const int w = left + n * cell + 20, h = top + n * cell + 40;
  std::ostringstream s;
  char buf[320];
  std::snprintf(buf, sizeof(buf),
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" "
                "font-size=\"11\">\n<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
                "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>\n"
                "<text x=\"%d\" y=\"%d\">predicted class &#8594;</text>\n",
                w, h, left, XmlText(title).c_str(), left, top - 8);
  s << buf;
  for (int t = 0; t < n; ++t) {
    const int y = top + t * cell;
    std::snprintf(buf, sizeof(buf), "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d %s</text>\n", left - 6,
                  y + cell / 2 + 4, t, XmlText(m.names()[static_cast<size_t>(t)]).substr(0, 18).c_str());
    s << buf;
    const double images = static_cast<double>(std::max<int64_t>(m.Images(t), 1));
    for (int p = 0; p < n; ++p) {
      const double share = static_cast<double>(m.At(t, p)) / images;
      const char* colour = p == t ? "#287a3c" : "#c83c28";  // right: green, wrong: red
      std::snprintf(buf, sizeof(buf),
                    "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\" fill-opacity=\"%.3f\" "
                    "stroke=\"#ddd\"><title>true %d, predicted %d: %lld</title></rect>\n",
                    left + p * cell, y, cell, cell, colour, share, t, p, static_cast<long long>(m.At(t, p)));
      s << buf;
      if (cell >= 20 && m.At(t, p) > 0) {
        std::snprintf(buf, sizeof(buf), "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" font-size=\"9\">%lld</text>\n",
                      left + p * cell + cell / 2, y + cell / 2 + 3, static_cast<long long>(m.At(t, p)));
        s << buf;
      }
    }
  }
  std::snprintf(buf, sizeof(buf),
                "<text x=\"%d\" y=\"%d\">rows: true class; shade: share of the class's images</text>\n", left, h - 12);
  s << buf << "</svg>\n";
  return s.str();
}

}  // namespace kilonas::report
