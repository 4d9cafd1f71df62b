#include "apps/arch_resolver.h"

#include <filesystem>

#include "core/ofa_space.h"
#include "core/reference_nets.h"
#include "engine/model_file.h"

namespace kilonas::apps {

namespace {

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() > suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

core::Result<engine::Model> ImportTflite(const std::string& path, tflite::FloatEdges* edges = nullptr) {
  core::Result<tflite::Model> read = tflite::LoadModel(path);
  if (!read.ok()) return read.error();
  if (edges) *edges = tflite::FloatEdgesOf(read.value());
  return tflite::ImportModel(read.value(), path);
}

}  // namespace

bool IsTfliteFile(const std::string& path) { return EndsWith(path, ".tflite"); }

core::Result<engine::Model> LoadModelFile(const std::string& path, tflite::FloatEdges* edges) {
  if (edges) *edges = tflite::FloatEdges{};
  return IsTfliteFile(path) ? ImportTflite(path, edges) : engine::LoadModel(path);
}

core::Result<ResolvedArch> ResolveArch(const std::string& arch, const ArchOptions& options) {
  const std::optional<int>& resolution = options.resolution;
  if (IsTfliteFile(arch)) {
    if (resolution || options.num_classes || !options.space.empty()) {
      return core::Error{arch +
                         ": a .tflite model fixes its input and classes: --resolution, --num-classes and "
                         "--space do not apply"};
    }
    core::Result<engine::Model> model = ImportTflite(arch);
    if (!model.ok()) return model.error();
    core::Graph graph = model.value().graph;
    return ResolvedArch{std::filesystem::path(arch).stem().string(), std::move(graph), std::move(model).value()};
  }
  const bool is_file = EndsWith(arch, ".json");
  if (is_file) {
    std::optional<core::OfaSpace> given;
    if (!options.space.empty()) {
      core::Result<core::OfaSpace> space = core::ResolveSpace(options.space);
      if (!space.ok()) return core::Error{"--space: " + space.error().message};
      given = space.value();
    }
    core::Result<core::SubnetConfig> config = core::LoadSubnetConfig(arch, given ? &*given : nullptr);
    if (!config.ok())
      return core::Error{config.error().message + (given ? "" : " (a space of your own: --space FILE)")};
    core::SubnetConfig subnet = config.value();
    if (resolution) subnet.resolution = *resolution;
    core::Result<core::OfaSpace> space =
        given ? core::Result<core::OfaSpace>(*given) : core::BuiltinSpace(subnet.space);
    if (!space.ok()) return core::Error{arch + ": " + space.error().message};
    if (options.num_classes) space.value().num_classes = *options.num_classes;
    if (space.value().num_classes == 0) {
      return core::Error{arch + ": space '" + subnet.space +
                         "' takes its class count from the data set: pass --num-classes"};
    }
    core::Result<core::NetSpec> spec = core::ToNetSpec(space.value(), subnet);
    if (!spec.ok()) return core::Error{arch + ": " + spec.error().message};
    core::Result<core::Graph> graph = core::BuildGraph(spec.value());
    if (!graph.ok()) return core::Error{arch + ": " + graph.error().message};
    return ResolvedArch{std::filesystem::path(arch).stem().string() + "-r" + std::to_string(subnet.resolution),
                        std::move(graph).value()};
  }
  if (!resolution) return core::Error{"--resolution is required for reference network '" + arch + "'"};
  core::Result<core::NetSpec> spec =
      core::ReferenceNet(arch, *resolution, options.num_classes.value_or(options.reference_classes));
  if (!spec.ok()) return spec.error();
  core::Result<core::Graph> graph = core::BuildGraph(spec.value());
  if (!graph.ok()) return graph.error();
  return ResolvedArch{spec.value().name, std::move(graph).value()};
}

core::Result<data::Normalization> StoredInputNormalization(const engine::Model& model, int channels) {
  if (!model.input_mean.empty()) return data::Normalization{model.input_mean, model.input_std};
  if (channels != 1) {
    return core::Error{
        "the model file carries no input normalisation (written before files had one; only "
        "Fashion-MNIST models are known)"};
  }
  return data::LegacyFashionMnistNormalization();
}

}  // namespace kilonas::apps
