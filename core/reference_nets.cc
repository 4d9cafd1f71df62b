#include "core/reference_nets.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace kilonas::core {

int MakeDivisible(double value, int divisor, ChannelRounding rounding) {
  if (rounding == ChannelRounding::kUp) {
    const int up = static_cast<int>(std::ceil(value / divisor - 1e-9)) * divisor;
    return std::max(divisor, up);
  }
  int rounded = std::max(divisor, static_cast<int>(value + divisor / 2.0) / divisor * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

namespace {

struct Row {
  int expand;
  int channels;
  int kernel;
  int stride;  // stride of the first block of a stage, or of this single block
};

NetSpec Scaled(std::string name, double width, int resolution, int num_classes, ChannelRounding rounding,
               int first_block_channels, const std::vector<Row>& rows) {
  NetSpec spec;
  spec.name = std::move(name);
  spec.resolution = resolution;
  spec.num_classes = num_classes;
  spec.stem_channels = MakeDivisible(32 * width, 8, rounding);
  spec.blocks.push_back({MakeDivisible(first_block_channels * width, 8, rounding), 3, 1, 1});
  for (const Row& row : rows) {
    spec.blocks.push_back({MakeDivisible(row.channels * width, 8, rounding), row.kernel, row.expand, row.stride});
  }
  spec.head_channels = MakeDivisible(1280 * width, 8, rounding);
  return spec;
}

}  // namespace

NetSpec MobileNetV2(double width, int resolution, int num_classes) {
  // (t, c, n, s) from the MobileNetV2 paper, after the first t=1 block.
  const int table[][4] = {{6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
  std::vector<Row> rows;
  for (const auto& t : table) {
    for (int i = 0; i < t[2]; ++i) rows.push_back({t[0], t[1], 3, i == 0 ? t[3] : 1});
  }
  char name[64];
  std::snprintf(name, sizeof(name), "mbv2-w%g-r%d", width, resolution);
  return Scaled(name, width, resolution, num_classes, ChannelRounding::kNearest, 16, rows);
}

NetSpec ProxylessMobile(double width, int resolution, int num_classes) {
  // ProxylessNAS-Mobile as published: (expand, channels, kernel, stride) per block; the two
  // "zero" blocks of the 32-channel stage are absent.
  const std::vector<Row> rows = {{3, 32, 5, 2},  {3, 32, 3, 1},  {3, 40, 7, 2},  {3, 40, 3, 1}, {3, 40, 5, 1},
                                 {3, 40, 5, 1},  {6, 80, 7, 2},  {3, 80, 5, 1},  {3, 80, 5, 1}, {3, 80, 5, 1},
                                 {6, 96, 5, 1},  {3, 96, 5, 1},  {3, 96, 5, 1},  {3, 96, 5, 1}, {6, 192, 7, 2},
                                 {6, 192, 7, 1}, {3, 192, 7, 1}, {3, 192, 7, 1}, {6, 320, 7, 1}};
  char name[64];
  std::snprintf(name, sizeof(name), "proxyless-w%g-r%d", width, resolution);
  return Scaled(name, width, resolution, num_classes, ChannelRounding::kUp, 16, rows);
}

Result<NetSpec> ReferenceNet(std::string_view name, int resolution, int num_classes) {
  const size_t dash = name.rfind("-w");
  if (dash == std::string_view::npos) {
    return Error{"unknown network '" + std::string(name) + "'; expected " + ReferenceNetHelp()};
  }
  const std::string family(name.substr(0, dash));
  const std::string width_text(name.substr(dash + 2));
  char* end = nullptr;
  const double width = std::strtod(width_text.c_str(), &end);
  if (width_text.empty() || *end != '\0' || !(width > 0.0) || width > 4.0) {
    return Error{"network '" + std::string(name) + "': bad width multiplier '" + width_text + "'"};
  }
  if (resolution < 8) {
    return Error{"network '" + std::string(name) + "': resolution must be >= 8, got " + std::to_string(resolution)};
  }
  if (family == "mbv2") return MobileNetV2(width, resolution, num_classes);
  if (family == "proxyless") return ProxylessMobile(width, resolution, num_classes);
  return Error{"unknown network family '" + family + "'; expected " + ReferenceNetHelp()};
}

std::string ReferenceNetHelp() { return "mbv2-w<width> (e.g. mbv2-w0.35) or proxyless-w<width>"; }

}  // namespace kilonas::core
