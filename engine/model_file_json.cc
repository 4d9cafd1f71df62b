#include <cmath>
#include <cstring>
#include <limits>

#include "core/crc32.h"
#include "core/file_io.h"
#include "core/graph_json.h"
#include "engine/model_file.h"

namespace kilonas::engine {
namespace {

constexpr char kMagic[8] = {'K', 'I', 'L', 'O', 'N', 'A', 'S', '\0'};
constexpr size_t kPreamble = 32;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}
uint64_t GetLE(const std::string& in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in[at + i])) << (8 * i);
  return v;
}

// Appends an array to the payload and returns its [offset, count] reference.
template <typename T>
nlohmann::ordered_json Append(std::string& payload, const std::vector<T>& values) {
  const size_t offset = payload.size();
  for (T v : values) {
    const auto u = static_cast<uint32_t>(static_cast<int32_t>(v));
    for (size_t i = 0; i < sizeof(T); ++i) payload.push_back(static_cast<char>((u >> (8 * i)) & 0xFFu));
  }
  return {offset, values.size()};
}

template <typename T>
std::vector<T> Extract(const std::string& payload, core::ObjectReader& r, const std::string& key) {
  const nlohmann::json& ref = r.Array(key);
  if (ref.size() != 2 || !ref[0].is_number_unsigned() || !ref[1].is_number_unsigned()) {
    r.Fail(key, "expected [offset, count]");
  }
  const uint64_t offset = ref[0].get<uint64_t>(), count = ref[1].get<uint64_t>();
  if (offset > payload.size() || count > (payload.size() - offset) / sizeof(T))
    r.Fail(key, "range outside the payload");
  std::vector<T> values(count);
  for (uint64_t i = 0; i < count; ++i) {
    const uint64_t raw = GetLE(payload, offset + i * sizeof(T), sizeof(T));
    if constexpr (sizeof(T) == 1) {
      values[i] = static_cast<T>(static_cast<uint8_t>(raw));
    } else {
      values[i] = static_cast<T>(static_cast<uint32_t>(raw));
    }
  }
  return values;
}

int32_t Int32(core::ObjectReader& r, const std::string& key) { return r.Int(key); }

// {"mean": [...], "std": [...]}: one finite value per input channel, standard deviations > 0.
void ReadInputNormalization(const nlohmann::json& doc, Model& model) {
  core::ObjectReader r(doc, "input_normalization");
  const int channels = model.graph.tensor(model.graph.input()).shape.c;
  for (const char* key : {"mean", "std"}) {
    std::vector<float>& out = std::string(key) == "mean" ? model.input_mean : model.input_std;
    for (const nlohmann::json& v : r.Array(key)) {
      if (!v.is_number() || !std::isfinite(v.get<double>())) r.Fail(key, "expected finite numbers");
      out.push_back(v.get<float>());
    }
    if (static_cast<int>(out.size()) != channels) {
      r.Fail(key, std::to_string(out.size()) + " values for an input of " + std::to_string(channels) + " channel(s)");
    }
  }
  for (float s : model.input_std) {
    if (!(s > 0)) r.Fail("std", "standard deviations must be > 0");
  }
  r.RejectUnknownKeys();
}

Model ModelFromJson(const nlohmann::json& doc, const std::string& payload) {
  core::ObjectReader root(doc, "");
  Model model;
  model.graph = core::GraphFromJson(root.Object("graph"), "graph");
  const nlohmann::json& constants = root.Array("constants");
  for (size_t i = 0; i < constants.size(); ++i) {
    core::ObjectReader c(constants[i], "constants[" + std::to_string(i) + "]");
    OpConstants k;
    k.weights = Extract<int8_t>(payload, c, "weights");
    k.bias = Extract<int32_t>(payload, c, "bias");
    k.multiplier = Extract<int32_t>(payload, c, "multiplier");
    k.shift = Extract<int32_t>(payload, c, "shift");
    k.act_min = Int32(c, "act_min");
    k.act_max = Int32(c, "act_max");
    k.left_shift = Int32(c, "left_shift");
    k.input1_multiplier = Int32(c, "input1_multiplier");
    k.input1_shift = Int32(c, "input1_shift");
    k.input2_multiplier = Int32(c, "input2_multiplier");
    k.input2_shift = Int32(c, "input2_shift");
    k.output_multiplier = Int32(c, "output_multiplier");
    k.output_shift = Int32(c, "output_shift");
    c.RejectUnknownKeys();
    model.constants.push_back(std::move(k));
  }
  core::ObjectReader e(root.Object("execution"), "execution");
  const std::string mode = e.String("mode");
  bool known = false;
  for (memory_planner::PlanMode m :
       {memory_planner::PlanMode::kPerLayer, memory_planner::PlanMode::kInPlace, memory_planner::PlanMode::kPatch}) {
    if (memory_planner::PlanModeName(m) == mode) {
      model.execution.mode = m;
      known = true;
    }
  }
  if (!known) e.Fail("mode", "unknown plan mode '" + mode + "'");
  model.execution.input_in_arena = e.Bool("input_in_arena");
  model.execution.patches_per_side = e.Int("patches_per_side");
  model.execution.split_op = e.Int("split_op");
  e.RejectUnknownKeys();
  if (root.Has("input_normalization")) ReadInputNormalization(root.Object("input_normalization"), model);
  const int64_t arena = root.Int64("arena_bytes");
  root.RejectUnknownKeys();
  if (core::Status s = ValidateModel(model); !s.ok()) throw core::JsonError(s.message());
  core::Result<memory_planner::MemoryPlan> plan = PlanModel(model);
  if (!plan.ok()) throw core::JsonError(plan.error().message);
  if (plan.value().arena_bytes != arena) {
    throw core::JsonError("planned arena of " + std::to_string(plan.value().arena_bytes) +
                          " bytes differs from the recorded " + std::to_string(arena));
  }
  return model;
}

}  // namespace

std::string SerializeModel(const Model& model) {
  std::string payload;
  nlohmann::ordered_json doc;
  doc["graph"] = core::GraphToJson(model.graph);
  doc["constants"] = nlohmann::ordered_json::array();
  for (const OpConstants& c : model.constants) {
    doc["constants"].push_back({{"weights", Append(payload, c.weights)},
                                {"bias", Append(payload, c.bias)},
                                {"multiplier", Append(payload, c.multiplier)},
                                {"shift", Append(payload, c.shift)},
                                {"act_min", c.act_min},
                                {"act_max", c.act_max},
                                {"left_shift", c.left_shift},
                                {"input1_multiplier", c.input1_multiplier},
                                {"input1_shift", c.input1_shift},
                                {"input2_multiplier", c.input2_multiplier},
                                {"input2_shift", c.input2_shift},
                                {"output_multiplier", c.output_multiplier},
                                {"output_shift", c.output_shift}});
  }
  const ExecutionConfig& e = model.execution;
  doc["execution"] = {{"mode", memory_planner::PlanModeName(e.mode)},
                      {"input_in_arena", e.input_in_arena},
                      {"patches_per_side", e.patches_per_side},
                      {"split_op", e.split_op}};
  if (!model.input_mean.empty()) doc["input_normalization"] = {{"mean", model.input_mean}, {"std", model.input_std}};
  core::Result<memory_planner::MemoryPlan> plan = PlanModel(model);
  doc["arena_bytes"] = plan.ok() ? plan.value().arena_bytes : -1;
  const std::string header = doc.dump();
  std::string out(kMagic, sizeof(kMagic));
  PutU32(out, kModelFormatVersion);
  PutU32(out, static_cast<uint32_t>(header.size()));
  PutU64(out, payload.size());
  PutU32(out, core::Crc32(header.data(), header.size()));
  PutU32(out, core::Crc32(payload.data(), payload.size()));
  return out + header + payload;
}

core::Result<Model> ParseModel(const std::string& bytes, const std::string& source) {
  auto fail = [&](const std::string& what) { return core::Error{source + ": " + what}; };
  if (bytes.size() < kPreamble) return fail("truncated: " + std::to_string(bytes.size()) + " bytes, no model header");
  if (std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) return fail("not a kilonas model (bad magic)");
  const uint64_t version = GetLE(bytes, 8, 4);
  if (version != kModelFormatVersion) {
    return fail("model format version " + std::to_string(version) + " is not supported (expected " +
                std::to_string(kModelFormatVersion) + ")");
  }
  const uint64_t header_size = GetLE(bytes, 12, 4), payload_size = GetLE(bytes, 16, 8);
  const uint64_t available = bytes.size() - kPreamble;
  if (header_size > available || payload_size > available - header_size) {
    return fail("truncated: expected " + std::to_string(header_size + payload_size + kPreamble) + " bytes, file has " +
                std::to_string(bytes.size()));
  }
  if (header_size + payload_size != available) return fail("trailing bytes after the payload");
  const std::string header = bytes.substr(kPreamble, header_size);
  const std::string payload = bytes.substr(kPreamble + header_size);
  if (core::Crc32(header.data(), header.size()) != GetLE(bytes, 24, 4))
    return fail("header checksum mismatch (corrupted)");
  if (core::Crc32(payload.data(), payload.size()) != GetLE(bytes, 28, 4))
    return fail("payload checksum mismatch (corrupted)");
  return core::ParseJsonWith<Model>(header, source,
                                    [&](const nlohmann::json& doc) { return ModelFromJson(doc, payload); });
}

core::Status SaveModel(const Model& model, const std::string& path) {
  return core::WriteFileAtomic(path, SerializeModel(model));
}

core::Result<Model> LoadModel(const std::string& path) { return core::LoadFileWith(path, ParseModel); }

}  // namespace kilonas::engine
