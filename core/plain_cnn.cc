#include "core/plain_cnn.h"

#include <algorithm>
#include <cmath>

#include "core/graph_builder.h"

namespace kilonas::core {

PlainCnnSpec ScaledPlainCnn(int in_channels, int num_classes, double width, int resolution) {
  PlainCnnSpec spec{resolution, in_channels, num_classes, {}, {}};
  for (int base : {16, 32, 64, 128}) {
    spec.channels.push_back(std::max(4, static_cast<int>(std::lround(base * width / 4.0)) * 4));
    spec.strides.push_back(spec.strides.empty() ? 1 : 2);
  }
  return spec;
}

Result<Graph> BuildPlainCnn(const PlainCnnSpec& spec) {
  if (spec.resolution < 1 || spec.in_channels < 1 || spec.num_classes < 1 || spec.channels.empty() ||
      spec.channels.size() != spec.strides.size()) {
    return Error{"plain CNN: needs a positive resolution, channels and classes, and one stride per convolution"};
  }
  GraphBuilder b(Shape{spec.resolution, spec.resolution, spec.in_channels});
  int x = b.graph().input();
  for (size_t i = 0; i < spec.channels.size(); ++i) {
    if (spec.channels[i] < 1 || spec.strides[i] < 1 || spec.strides[i] > 2) {
      return Error{"plain CNN: convolution " + std::to_string(i) + " needs channels >= 1 and stride 1 or 2"};
    }
    x = b.Window(OpKind::kConv2d, "conv" + std::to_string(i), x, spec.channels[i], 3, spec.strides[i],
                 Activation::kRelu6, -1);
  }
  const int channels = b.graph().tensor(x).shape.c;
  x = b.Append({OpKind::kGlobalAvgPool, "pool", {x}, -1, 1, 1, 0, Activation::kNone, -1}, Shape{1, 1, channels});
  x = b.Append({OpKind::kFullyConnected, "classifier", {x}, -1, 1, 1, 0, Activation::kNone, -1},
               Shape{1, 1, spec.num_classes});
  Graph graph = b.Finish(x);
  if (Status s = graph.Validate(); !s.ok()) return s.error();
  return graph;
}

}  // namespace kilonas::core
