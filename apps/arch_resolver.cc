#include "apps/arch_resolver.h"

#include <filesystem>

#include "core/ofa_space.h"
#include "core/reference_nets.h"

namespace kilonas::apps {

core::Result<ResolvedArch> ResolveArch(const std::string& arch, std::optional<int> resolution, int num_classes) {
  const bool is_file = arch.size() > 5 && arch.substr(arch.size() - 5) == ".json";
  if (is_file) {
    core::Result<core::SubnetConfig> config = core::LoadSubnetConfig(arch);
    if (!config.ok()) return config.error();
    core::SubnetConfig subnet = config.value();
    if (resolution) subnet.resolution = *resolution;
    core::Result<core::OfaSpace> space = core::BuiltinSpace(subnet.space);
    if (!space.ok()) return core::Error{arch + ": " + space.error().message};
    core::Result<core::NetSpec> spec = core::ToNetSpec(space.value(), subnet);
    if (!spec.ok()) return core::Error{arch + ": " + spec.error().message};
    spec.value().num_classes = num_classes;
    core::Result<core::Graph> graph = core::BuildGraph(spec.value());
    if (!graph.ok()) return core::Error{arch + ": " + graph.error().message};
    return ResolvedArch{std::filesystem::path(arch).stem().string() + "-r" + std::to_string(subnet.resolution),
                        std::move(graph).value()};
  }
  if (!resolution) return core::Error{"--resolution is required for reference network '" + arch + "'"};
  core::Result<core::NetSpec> spec = core::ReferenceNet(arch, *resolution, num_classes);
  if (!spec.ok()) return spec.error();
  core::Result<core::Graph> graph = core::BuildGraph(spec.value());
  if (!graph.ok()) return graph.error();
  return ResolvedArch{spec.value().name, std::move(graph).value()};
}

}  // namespace kilonas::apps
