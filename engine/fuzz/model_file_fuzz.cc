// libFuzzer target for the model file loader: any byte string must give a model or an error,
// never a crash, a hang or undefined behaviour (build with -DKILONAS_FUZZ=ON and clang; see
// README). A loaded model is also executed once, since a loader that accepts a file the
// interpreter cannot run would be a bug too.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/crc32.h"
#include "engine/interpreter.h"
#include "engine/model_file.h"

namespace {

uint32_t Le32(const std::string& s, size_t at) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(s[at + i])) << (8 * i);
  return v;
}

void PutLe32(std::string& s, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFFu);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  // Odd inputs keep their checksums (the CRC checks are fuzzed); even ones get them recomputed so
  // that mutations reach the header parser, the payload ranges and the model validation.
  if (size >= 32 && size % 2 == 0) {
    const uint64_t header = Le32(bytes, 12);
    if (header <= size - 32) {
      PutLe32(bytes, 24, kilonas::core::Crc32(bytes.data() + 32, header));
      PutLe32(bytes, 28, kilonas::core::Crc32(bytes.data() + 32 + header, size - 32 - header));
    }
  }
  kilonas::core::Result<kilonas::engine::Model> model = kilonas::engine::ParseModel(bytes, "fuzz");
  if (!model.ok()) return 0;
  kilonas::core::Result<kilonas::engine::Interpreter> interpreter = kilonas::engine::Interpreter::Create(model.value());
  if (!interpreter.ok()) return 0;
  const auto& input_shape = model.value().graph.tensor(model.value().graph.input()).shape;
  if (input_shape.Elements() > (1 << 20)) return 0;  // keep runs short
  const auto output = interpreter.value().Invoke(std::vector<int8_t>(input_shape.Elements(), 0));
  // A loaded model that passed validation must run within its planned arena.
  if (!output.ok()) __builtin_trap();
  return 0;
}
