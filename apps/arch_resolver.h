// Turns the --arch argument of the CLIs into a Graph: a SubnetConfig JSON file or the name of a
// reference network (mbv2-w0.35, proxyless-w0.3) at a resolution.
#pragma once

#include <optional>
#include <string>

#include "core/graph.h"

namespace kilonas::apps {

// The --resolution every tool accepts (one rule for all of them).
inline constexpr int kMinResolution = 8;
inline constexpr int kMaxResolution = 1024;

struct ResolvedArch {
  std::string name;
  core::Graph graph;
};

// `resolution` is required for reference networks and overrides a subnet file's resolution.
core::Result<ResolvedArch> ResolveArch(const std::string& arch, std::optional<int> resolution,
                                       int num_classes = 1000);

}  // namespace kilonas::apps
