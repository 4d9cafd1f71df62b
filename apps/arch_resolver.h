// Turns the --arch argument of the CLIs into a Graph: a SubnetConfig JSON file, an int8 .tflite
// model (imported with its constants) or the name of a reference network (mbv2-w0.35,
// proxyless-w0.3) at a resolution. And the --model argument into an engine::Model: a .kmodel
// file or a .tflite one.
#pragma once

#include <optional>
#include <string>

#include "core/graph.h"
#include "data/image_set.h"
#include "engine/model.h"
#include "tflite/import.h"

namespace kilonas::apps {

// The --resolution every tool accepts (one rule for all of them).
inline constexpr int kMinResolution = 8;
inline constexpr int kMaxResolution = 1024;

struct ResolvedArch {
  std::string name;
  core::Graph graph;
  std::optional<engine::Model> imported;  // a .tflite: its int8 model (graph and constants)
};

struct ArchOptions {
  std::optional<int> resolution;   // required for reference networks; overrides a subnet file's
  std::optional<int> num_classes;  // default: the subnet's space's, or reference_classes
  int reference_classes = 1000;
  std::string space;  // a subnet file's space (name or file) instead of the built-in it names
};

// --resolution and --num-classes do not apply to a .tflite (its shapes are fixed): an error says so.
core::Result<ResolvedArch> ResolveArch(const std::string& arch, const ArchOptions& options);

bool IsTfliteFile(const std::string& path);

// A .kmodel (engine::LoadModel) or a .tflite (imported, run in place: `execution`'s default),
// and, given `edges`, whether it gives and takes floats at its edges (a .tflite with a QUANTIZE
// after its float input, a DEQUANTIZE before its float output; a .kmodel never does).
core::Result<engine::Model> LoadModelFile(const std::string& path, tflite::FloatEdges* edges = nullptr);

// How the model's float input was made from pixels, as its file says; a model written before
// files carried it is a Fashion-MNIST one when it takes one channel, else an error.
core::Result<data::Normalization> StoredInputNormalization(const engine::Model& model, int channels);

}  // namespace kilonas::apps
