#include "core/ofa_space.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace kilonas::core {
namespace {

template <typename T>
std::string Join(const std::vector<T>& values) {
  std::ostringstream out;
  out << "{";
  for (size_t i = 0; i < values.size(); ++i) out << (i ? "," : "") << values[i];
  out << "}";
  return out.str();
}

bool Contains(const std::vector<int>& values, int v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

bool ContainsWidth(const std::vector<double>& values, double v) {
  return std::any_of(values.begin(), values.end(), [&](double w) { return std::abs(w - v) < 1e-6; });
}

}  // namespace

bool SubnetConfig::operator==(const SubnetConfig& o) const {
  return space == o.space && resolution == o.resolution && std::abs(width_mult - o.width_mult) < 1e-9 &&
         stages == o.stages;
}

OfaSpace McunetImageNetSpace() { return BuiltinSpace("mcunet-imagenet").value(); }

OfaSpace FashionMnistSpace() { return BuiltinSpace("fmnist").value(); }

Status ValidateSubnet(const OfaSpace& space, const SubnetConfig& config) {
  auto fail = [&](const std::string& what) { return Status::Fail("subnet in space '" + space.name + "': " + what); };
  if (config.space != space.name) {
    return fail("config names space '" + config.space + "'");
  }
  if (!Contains(space.resolution_choices, config.resolution)) {
    return fail("resolution " + std::to_string(config.resolution) + " not in " + Join(space.resolution_choices));
  }
  if (!ContainsWidth(space.width_choices, config.width_mult)) {
    std::ostringstream w;
    w << config.width_mult;
    return fail("width_mult " + w.str() + " not in " + Join(space.width_choices));
  }
  if (config.stages.size() != space.stages.size()) {
    return fail("has " + std::to_string(config.stages.size()) + " stages, space has " +
                std::to_string(space.stages.size()));
  }
  for (size_t s = 0; s < config.stages.size(); ++s) {
    const auto& blocks = config.stages[s];
    const std::string where = "stage " + std::to_string(s);
    if (!Contains(space.stages[s].depth_choices, static_cast<int>(blocks.size()))) {
      return fail(where + ": depth " + std::to_string(blocks.size()) + " not in " +
                  Join(space.stages[s].depth_choices));
    }
    for (size_t b = 0; b < blocks.size(); ++b) {
      const std::string block = where + " block " + std::to_string(b);
      if (!Contains(space.kernel_choices, blocks[b].kernel)) {
        return fail(block + ": kernel " + std::to_string(blocks[b].kernel) + " not in " + Join(space.kernel_choices));
      }
      if (!Contains(space.expand_choices, blocks[b].expand)) {
        return fail(block + ": expand " + std::to_string(blocks[b].expand) + " not in " + Join(space.expand_choices));
      }
    }
  }
  return Status::Ok();
}

Result<NetSpec> ToNetSpec(const OfaSpace& space, const SubnetConfig& config) {
  if (Status s = ValidateSubnet(space, config); !s.ok()) return s.error();
  const double w = config.width_mult;
  auto scale = [&](int channels) { return MakeDivisible(channels * w, 8, space.rounding); };
  NetSpec spec;
  std::ostringstream name;
  name << space.name << "-w" << w << "-r" << config.resolution;
  spec.name = name.str();
  spec.resolution = config.resolution;
  spec.in_channels = space.in_channels;
  spec.num_classes = space.num_classes;
  spec.stem_channels = scale(space.stem_channels);
  spec.stem_stride = space.stem_stride;
  spec.blocks.push_back({scale(space.first_block_channels), 3, 1, 1});
  for (size_t s = 0; s < config.stages.size(); ++s) {
    const OfaStageSpec& stage = space.stages[s];
    for (size_t b = 0; b < config.stages[s].size(); ++b) {
      const BlockChoice& choice = config.stages[s][b];
      spec.blocks.push_back({scale(stage.channels), choice.kernel, choice.expand, b == 0 ? stage.stride : 1});
    }
  }
  spec.head_channels = space.head_channels > 0 ? scale(space.head_channels) : 0;
  return spec;
}

Result<Graph> BuildSubnetGraph(const OfaSpace& space, const SubnetConfig& config) {
  Result<NetSpec> spec = ToNetSpec(space, config);
  if (!spec.ok()) return spec.error();
  return BuildGraph(spec.value());
}

SubnetConfig LargestSubnet(const OfaSpace& space) {
  SubnetConfig config;
  config.space = space.name;
  config.resolution = *std::max_element(space.resolution_choices.begin(), space.resolution_choices.end());
  config.width_mult = *std::max_element(space.width_choices.begin(), space.width_choices.end());
  const int kernel = *std::max_element(space.kernel_choices.begin(), space.kernel_choices.end());
  const int expand = *std::max_element(space.expand_choices.begin(), space.expand_choices.end());
  for (const OfaStageSpec& stage : space.stages) {
    const int depth = *std::max_element(stage.depth_choices.begin(), stage.depth_choices.end());
    config.stages.emplace_back(depth, BlockChoice{kernel, expand});
  }
  return config;
}

SubnetConfig SmallestSubnet(const OfaSpace& space) {
  SubnetConfig config;
  config.space = space.name;
  config.resolution = *std::min_element(space.resolution_choices.begin(), space.resolution_choices.end());
  config.width_mult = *std::min_element(space.width_choices.begin(), space.width_choices.end());
  const int kernel = *std::min_element(space.kernel_choices.begin(), space.kernel_choices.end());
  const int expand = *std::min_element(space.expand_choices.begin(), space.expand_choices.end());
  for (const OfaStageSpec& stage : space.stages) {
    const int depth = *std::min_element(stage.depth_choices.begin(), stage.depth_choices.end());
    config.stages.emplace_back(depth, BlockChoice{kernel, expand});
  }
  return config;
}

SubnetConfig SampleSubnet(const OfaSpace& space, std::mt19937& rng) {
  auto pick = [&](const auto& v) { return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)]; };
  SubnetConfig config;
  config.space = space.name;
  config.resolution = pick(space.resolution_choices);
  config.width_mult = pick(space.width_choices);
  for (const OfaStageSpec& stage : space.stages) {
    std::vector<BlockChoice> blocks(pick(stage.depth_choices));
    for (BlockChoice& b : blocks) b = {pick(space.kernel_choices), pick(space.expand_choices)};
    config.stages.push_back(std::move(blocks));
  }
  return config;
}

}  // namespace kilonas::core
