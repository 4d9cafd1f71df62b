// The once-for-all MobileNetV2-style search space (macro architecture + choices) and SubnetConfig,
// one point in it: resolution, width multiplier, per-stage depth, per-block kernel and expand.
#pragma once

#include <random>
#include <string>
#include <vector>

#include "core/net_spec.h"
#include "core/reference_nets.h"
#include "core/status.h"

namespace kilonas::core {

struct OfaStageSpec {
  int channels = 0;  // before the width multiplier
  int stride = 1;    // of the first block of the stage
  std::vector<int> depth_choices;
};

// The most stages a space file may declare (each up to 32 blocks deep).
inline constexpr size_t kMaxSpaceStages = 16;

struct OfaSpace {
  std::string name;
  int in_channels = 3;
  int num_classes = 1000;  // 0 in a space file without num_classes: the data set's, set by the trainer
  int stem_channels = 32;
  int stem_stride = 2;
  int first_block_channels = 16;  // fixed k3, expand 1 block after the stem
  std::vector<OfaStageSpec> stages;
  int head_channels = 1280;
  std::vector<int> kernel_choices = {3, 5, 7};
  std::vector<int> expand_choices = {3, 4, 6};
  std::vector<double> width_choices;
  std::vector<int> resolution_choices;
  ChannelRounding rounding = ChannelRounding::kNearest;
};

// Spaces are data: configs/spaces/<name>.json (strict reader in ofa_space_json.cc: unknown keys
// and bad values are errors naming the file and key). The built-in spaces are such files, embedded
// at build time (core/CMakeLists.txt), found by name from any directory.
Result<OfaSpace> ParseOfaSpace(const std::string& text, const std::string& source);
Result<OfaSpace> LoadOfaSpace(const std::string& path);
// Looks a built-in space up by name ("fmnist", "mcunet-imagenet", ...).
Result<OfaSpace> BuiltinSpace(const std::string& name);
// A built-in space's name, or the path of a space JSON file (contains '/' or ends in .json).
bool IsSpacePath(const std::string& name_or_path);
Result<OfaSpace> ResolveSpace(const std::string& name_or_path);
// What a checkpoint or a search state records as its space: a built-in space's name, or for a
// space file its name and a digest of the network it describes (every field but the name and
// description), so that an identical copy anywhere is the same space and an edited file is not.
// `space` as ResolveSpace read it (before a trainer fills in the data set's class count).
std::string SpaceIdentity(const OfaSpace& space, const std::string& name_or_path);

// MCUNet's TinyNAS space on ImageNet-sized input (configs/spaces/mcunet-imagenet.json):
// MobileNetV2 macro architecture with stages of 24, 40, 80, 96, 192, 320 channels (strides 2, 2,
// 2, 1, 2, 1), depth {2,3,4} per stage (the last stage one block), width 0.3..1.0, resolution
// 48..224.
OfaSpace McunetImageNetSpace();

// The space kilonas trains on Fashion-MNIST (configs/spaces/fmnist.json; 28x28 grayscale,
// resized to the resolution): stem 3x3/2 with 16 channels, a fixed k3 e1 block of 8, stages of
// 16 (s1), 24 (s2), 40 (s2), 48 (s1) channels with depth {2,3,4}, head 1x1 to 128, 10 classes;
// width {0.5, 0.75, 1.0}, resolution {16, 20, 24, 28, 32}. The largest subnet has ~15M MACs.
OfaSpace FashionMnistSpace();

struct BlockChoice {
  int kernel = 3;
  int expand = 6;
  bool operator==(const BlockChoice& o) const { return kernel == o.kernel && expand == o.expand; }
};

struct SubnetConfig {
  std::string space = "mcunet-imagenet";
  int resolution = 224;
  double width_mult = 1.0;
  std::vector<std::vector<BlockChoice>> stages;  // stages[s].size() is the depth of stage s
  bool operator==(const SubnetConfig& o) const;
};

// Checks every value against the space; the message names the stage/block and the allowed values.
Status ValidateSubnet(const OfaSpace& space, const SubnetConfig& config);
Result<NetSpec> ToNetSpec(const OfaSpace& space, const SubnetConfig& config);
Result<Graph> BuildSubnetGraph(const OfaSpace& space, const SubnetConfig& config);

// The largest subnet of the space at its largest width and resolution, and the smallest.
SubnetConfig LargestSubnet(const OfaSpace& space);
SubnetConfig SmallestSubnet(const OfaSpace& space);

// A uniformly random subnet: resolution, width, each stage's depth, each block's kernel and
// expand drawn independently.
SubnetConfig SampleSubnet(const OfaSpace& space, std::mt19937& rng);

// JSON I/O (subnet_config_json.cc). Unknown keys and bad values are errors naming source and key.
// The subnet is validated against `space` (whose name it must carry) or, without one, against
// the built-in space it names. Unvalidated: only the file's structure, for callers that check it
// against their own space.
Result<SubnetConfig> ParseSubnetConfig(const std::string& text, const std::string& source,
                                       const OfaSpace* space = nullptr);
Result<SubnetConfig> ParseSubnetConfigUnvalidated(const std::string& text, const std::string& source);
Result<SubnetConfig> LoadSubnetConfig(const std::string& path, const OfaSpace* space = nullptr);
std::string SubnetConfigToJson(const SubnetConfig& config);

}  // namespace kilonas::core
