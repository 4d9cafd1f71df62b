#include "core/net_spec.h"

#include "core/graph_builder.h"

namespace kilonas::core {

Status ValidateNetSpec(const NetSpec& spec) {
  auto fail = [&](const std::string& what) { return Status::Fail("net '" + spec.name + "': " + what); };
  if (spec.resolution < 1) return fail("resolution must be positive");
  if (spec.in_channels < 1 || spec.num_classes < 1) return fail("channels and classes must be positive");
  if (spec.stem_channels < 1 || spec.stem_kernel < 1 || spec.stem_kernel % 2 == 0 || spec.stem_stride < 1) {
    return fail("bad stem (channels >= 1, odd kernel, stride >= 1)");
  }
  if (spec.head_channels < 0) return fail("head_channels must be >= 0");
  for (size_t i = 0; i < spec.blocks.size(); ++i) {
    const MbBlockSpec& b = spec.blocks[i];
    if (b.out_channels < 1 || b.kernel < 1 || b.kernel % 2 == 0 || b.expand < 1 || b.stride < 1 || b.stride > 2) {
      return fail("block " + std::to_string(i) + ": needs out_channels >= 1, odd kernel, expand >= 1, stride 1 or 2");
    }
  }
  return Status::Ok();
}

Result<BuiltNet> BuildNet(const NetSpec& spec) {
  if (Status s = ValidateNetSpec(spec); !s.ok()) return s.error();
  GraphBuilder b(Shape{spec.resolution, spec.resolution, spec.in_channels});
  std::vector<SpecOp> parts;
  auto part = [&](SpecPart p, int block, int tensor) { return parts.push_back({p, block}), tensor; };
  int x = part(SpecPart::kStem, -1,
               b.Window(OpKind::kConv2d, "stem", b.graph().input(), spec.stem_channels, spec.stem_kernel,
                        spec.stem_stride, Activation::kRelu6, -1));
  for (size_t i = 0; i < spec.blocks.size(); ++i) {
    const MbBlockSpec& blk = spec.blocks[i];
    const int block = static_cast<int>(i);
    const std::string prefix = "b" + std::to_string(i) + ".";
    const int in_channels = b.graph().tensor(x).shape.c;
    const int mid = in_channels * blk.expand;
    int y = x;
    if (blk.expand != 1) {
      y = part(SpecPart::kExpand, block,
               b.Window(OpKind::kPointwiseConv2d, prefix + "expand", y, mid, 1, 1, Activation::kRelu6, block));
    }
    y = part(
        SpecPart::kDepthwise, block,
        b.Window(OpKind::kDepthwiseConv2d, prefix + "dw", y, mid, blk.kernel, blk.stride, Activation::kRelu6, block));
    y = part(
        SpecPart::kProject, block,
        b.Window(OpKind::kPointwiseConv2d, prefix + "project", y, blk.out_channels, 1, 1, Activation::kNone, block));
    if (blk.stride == 1 && in_channels == blk.out_channels) {
      const Shape shape = b.graph().tensor(y).shape;
      y = part(SpecPart::kResidualAdd, block,
               b.Append({OpKind::kAdd, prefix + "add", {x, y}, -1, 1, 1, 0, Activation::kNone, block}, shape));
    }
    x = y;
  }
  if (spec.head_channels > 0) {
    x = part(SpecPart::kHead, -1,
             b.Window(OpKind::kPointwiseConv2d, "head", x, spec.head_channels, 1, 1, Activation::kRelu6, -1));
  }
  const int channels = b.graph().tensor(x).shape.c;
  x = part(SpecPart::kPool, -1,
           b.Append({OpKind::kGlobalAvgPool, "pool", {x}, -1, 1, 1, 0, Activation::kNone, -1}, Shape{1, 1, channels}));
  x = part(SpecPart::kClassifier, -1,
           b.Append({OpKind::kFullyConnected, "classifier", {x}, -1, 1, 1, 0, Activation::kNone, -1},
                    Shape{1, 1, spec.num_classes}));
  Graph graph = b.Finish(x);
  if (Status s = graph.Validate(); !s.ok()) return s.error();
  return BuiltNet{std::move(graph), std::move(parts)};
}

Result<Graph> BuildGraph(const NetSpec& spec) {
  Result<BuiltNet> net = BuildNet(spec);
  if (!net.ok()) return net.error();
  return std::move(net.value().graph);
}

}  // namespace kilonas::core
