#!/usr/bin/env bash
# plot_accuracy_vs_sram.sh <points file>: an SVG (stdout) of int8 accuracy against the SRAM
# budget, one line per method; each input line is "<method> <SRAM kB> <accuracy %>" (written by
# scripts/reproduce.sh). The x axis is logarithmic (budgets double).
set -euo pipefail
awk '
  { method[NR] = $1; x[NR] = $2; y[NR] = $3; seen[$1] = 1
    if (NR == 1 || $2 < xmin) xmin = $2; if (NR == 1 || $2 > xmax) xmax = $2
    if (NR == 1 || $3 < ymin) ymin = $3; if (NR == 1 || $3 > ymax) ymax = $3 }
  function px(v) { return 70 + (xmax > xmin ? (log(v) - log(xmin)) / (log(xmax) - log(xmin)) : 0.5) * 480 }
  function py(v) { return 330 - (v - lo) / (hi - lo) * 280 }
  END {
    lo = int(ymin / 5) * 5; hi = int(ymax / 5) * 5 + 5
    if (NR == 0) { lo = 0; hi = 100; xmin = 1; xmax = 2 }
    print "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"680\" height=\"380\" font-family=\"sans-serif\" font-size=\"12\">"
    print "<rect width=\"680\" height=\"380\" fill=\"white\"/>"
    print "<line x1=\"70\" y1=\"330\" x2=\"550\" y2=\"330\" stroke=\"black\"/><line x1=\"70\" y1=\"50\" x2=\"70\" y2=\"330\" stroke=\"black\"/>"
    for (v = lo; v <= hi; v += 5) printf "<text x=\"62\" y=\"%.1f\" text-anchor=\"end\">%d%%</text><line x1=\"70\" y1=\"%.1f\" x2=\"550\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", py(v) + 4, v, py(v), py(v)
    for (i = 1; i <= NR; ++i) if (!(x[i] in tick)) { tick[x[i]] = 1; printf "<text x=\"%.1f\" y=\"348\" text-anchor=\"middle\">%s</text>\n", px(x[i]), x[i] }
    print "<text x=\"310\" y=\"372\" text-anchor=\"middle\">SRAM budget (kB)</text>"
    print "<text x=\"18\" y=\"190\" transform=\"rotate(-90 18 190)\" text-anchor=\"middle\">int8 test accuracy</text>"
    split("#1f77b4 #d62728 #2ca02c #9467bd #ff7f0e #8c564b", colour, " ")
    n = 0
    for (i = 1; i <= NR; ++i) {
      if (method[i] in index_of) continue
      index_of[method[i]] = ++n
      c = colour[(n - 1) % 6 + 1]; path = ""
      for (j = 1; j <= NR; ++j) if (method[j] == method[i]) {
        path = path sprintf("%s%.1f,%.1f", path == "" ? "" : " ", px(x[j]), py(y[j]))
        printf "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%s\"/>\n", px(x[j]), py(y[j]), c
      }
      printf "<polyline points=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"/>\n", path, c
      printf "<rect x=\"570\" y=\"%d\" width=\"12\" height=\"12\" fill=\"%s\"/><text x=\"588\" y=\"%d\">%s</text>\n", 50 + 20 * n, c, 61 + 20 * n, method[i]
    }
    print "</svg>"
  }' "$1"
