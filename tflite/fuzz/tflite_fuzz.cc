// libFuzzer target for the .tflite reader and importer: any byte string must give a model or an
// error, never a crash, a hang or undefined behaviour (build with -DKILONAS_FUZZ=ON and clang).
// A file that reads is imported (whole, or up to the operator before the first one kilonas does
// not import), and an imported model is run once: an importer that accepts what the engine
// cannot run would be a bug too.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/interpreter.h"
#include "tflite/import.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes(data, data + size);
  const kilonas::core::Result<kilonas::tflite::Model> model = kilonas::tflite::ParseModel(bytes, "fuzz");
  if (!model.ok()) return 0;
  kilonas::tflite::ImportOptions options;
  for (const kilonas::tflite::Operator& op : model.value().operators) {
    if (kilonas::tflite::IsImported(op.builtin)) continue;
    if (op.index == 0) return 0;
    options.through_operator = op.index - 1;
    break;
  }
  const auto imported = kilonas::tflite::ImportModel(model.value(), "fuzz", options);
  if (!imported.ok()) return 0;
  const auto& graph = imported.value().graph;
  if (graph.tensor(graph.input()).shape.Elements() > (1 << 20)) return 0;  // keep runs short
  auto interpreter = kilonas::engine::Interpreter::Create(imported.value());
  if (!interpreter.ok()) return 0;
  const auto output = interpreter.value().Invoke(std::vector<int8_t>(graph.tensor(graph.input()).shape.Elements(), 0));
  if (!output.ok()) __builtin_trap();  // a validated model must run within its planned arena
  return 0;
}
