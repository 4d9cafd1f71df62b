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

struct ArchOptions {
  std::optional<int> resolution;   // required for reference networks; overrides a subnet file's
  std::optional<int> num_classes;  // default: the subnet's space's, or reference_classes
  int reference_classes = 1000;
  std::string space;  // a subnet file's space (name or file) instead of the built-in it names
};

core::Result<ResolvedArch> ResolveArch(const std::string& arch, const ArchOptions& options);

}  // namespace kilonas::apps
