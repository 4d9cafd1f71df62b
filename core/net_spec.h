// NetSpec: an explicit MobileNetV2-style network (stem conv, inverted-residual blocks, head).
// Every network kilonas handles (OFA subnets, MobileNetV2, ProxylessNAS, MCUNet-style blocks)
// becomes a NetSpec, and one function turns a NetSpec into a Graph.
#pragma once

#include <string>
#include <vector>

#include "core/graph.h"
#include "core/status.h"

namespace kilonas::core {

// Inverted residual block: [1x1 expand + ReLU6] -> k x k depthwise (stride) + ReLU6 -> 1x1 project.
// The expand conv is omitted when expand == 1. A residual add is used when stride == 1 and the
// channel count is unchanged (MobileNetV2 / ProxylessNAS rule).
struct MbBlockSpec {
  int out_channels = 0;
  int kernel = 3;
  int expand = 6;
  int stride = 1;
};

struct NetSpec {
  std::string name;
  int resolution = 224;
  int in_channels = 3;
  int num_classes = 1000;
  int stem_channels = 32;
  int stem_kernel = 3;
  int stem_stride = 2;
  std::vector<MbBlockSpec> blocks;
  int head_channels = 0;  // 1x1 conv + ReLU6 before pooling; 0 means none
};

Status ValidateNetSpec(const NetSpec& spec);

// What each op of a built graph is in the NetSpec: the structure that weights are mapped by
// (supernet extraction), never the ops' names.
enum class SpecPart { kStem, kExpand, kDepthwise, kProject, kResidualAdd, kHead, kPool, kClassifier };
struct SpecOp {
  SpecPart part = SpecPart::kStem;
  int block = -1;  // index into NetSpec::blocks for the block parts, else -1
};
struct BuiltNet {
  Graph graph;
  std::vector<SpecOp> parts;  // one per op of graph, in execution order
};

// Builds the int8 activation graph: stem, blocks (ops tagged with their block index), head 1x1,
// global average pool, fully connected classifier. Padding is kernel / 2 ("same").
Result<BuiltNet> BuildNet(const NetSpec& spec);
Result<Graph> BuildGraph(const NetSpec& spec);  // BuildNet's graph

}  // namespace kilonas::core
