// nas_memory: peak SRAM (three planner modes) and flash of one network, as a table, JSON and SVG.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <optional>
#include <string>

#include "apps/arch_resolver.h"
#include "apps/cli.h"
#include "core/file_io.h"
#include "core/hw_profile.h"
#include "core/reference_nets.h"
#include "memory_planner/memory_report.h"

namespace {

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_memory", message); }

}  // namespace

constexpr size_t kLargeGraphOps = 300;

static int ToolMain(int argc, char** argv) {
  using namespace kilonas;
  CLI::App app{"Peak SRAM per planner mode (per_layer, inplace, patch) and flash of a network"};
  std::string arch;
  std::optional<int> resolution;
  std::string hw_path;
  std::string out_dir = "out/memory";
  memory_planner::ReportOptions options;
  app.add_option("--arch", arch, "subnet JSON file or reference network: " + core::ReferenceNetHelp())->required();
  app.add_option("--resolution", resolution, "input resolution (required for reference networks)")
      ->check(CLI::Range(apps::kMinResolution, apps::kMaxResolution));
  std::optional<int> num_classes;
  std::string space;
  app.add_option("--num-classes", num_classes,
                 "classifier outputs (default: the subnet's space's; 1000 for reference networks)")
      ->check(CLI::Range(1, 100000));
  app.add_option("--space", space,
                 "space of a subnet file (a built-in name or a space JSON file; default: the built-in it names)");
  app.add_option("--hw", hw_path, "hardware profile JSON (budgets, runtime code size)");
  app.add_option("--out-dir", out_dir, "where <network>_memory.json and .svg are written");
  app.add_option("--max-patches", options.patch_search.max_patches_per_side, "largest p of p x p patches")
      ->check(CLI::Range(1, 16));
  app.add_option("--max-patch-overhead", options.patch_search.max_extra_mac_fraction,
                 "largest share of network MACs the patch stage may recompute")
      ->check(apps::FiniteRange(0.0, 10.0));
  KILONAS_PARSE(app, argc, argv);

  std::optional<core::HwProfile> hw;
  if (!hw_path.empty()) {
    core::Result<core::HwProfile> loaded = core::LoadHwProfile(hw_path);
    if (!loaded.ok()) return Fail(loaded.error().message);
    hw = loaded.value();
  }
  core::Result<apps::ResolvedArch> resolved = apps::ResolveArch(arch, {resolution, num_classes, 1000, space});
  if (!resolved.ok()) return Fail(resolved.error().message);
  const core::Graph& graph = resolved.value().graph;
  const std::string& name = resolved.value().name;

  core::Result<core::DirLock> lock = apps::LockDir("nas_memory", out_dir);
  if (!lock.ok()) return Fail(lock.error().message);
  // The patch search of a network this deep takes seconds to a minute (the largest network a
  // space file allows, 16 stages of 32 blocks at 224x224, about half a minute): say so first.
  if (graph.ops().size() > kLargeGraphOps) {
    std::printf("planning %zu ops in three modes, patch splits included (can take a minute)...\n", graph.ops().size());
    std::fflush(stdout);
  }
  core::Result<memory_planner::MemoryReport> report = memory_planner::BuildMemoryReport(graph, name, hw, options);
  if (!report.ok()) return Fail(report.error().message);
  std::fputs(memory_planner::FormatMemoryTable(graph, report.value()).c_str(), stdout);

  const std::string base = out_dir + "/" + name + "_memory";
  for (const auto& [path, content] :
       {std::pair{base + ".json", memory_planner::MemoryReportToJson(graph, report.value())},
        std::pair{base + ".svg", memory_planner::MemoryReportSvg(graph, report.value())}}) {
    if (core::Status s = core::WriteFileAtomic(path, content); !s.ok()) return Fail(s.message());
    std::printf("wrote %s\n", path.c_str());
  }
  return 0;
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_memory", argc, argv, ToolMain); }
