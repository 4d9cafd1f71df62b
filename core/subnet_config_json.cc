#include "core/json_util.h"
#include "core/ofa_space.h"

namespace kilonas::core {
namespace {

constexpr int kSubnetSchemaVersion = 1;

SubnetConfig FromJson(const nlohmann::json& doc) {
  ObjectReader root(doc, "");
  root.RequireSchemaVersion(kSubnetSchemaVersion);
  SubnetConfig config;
  config.space = root.String("space");
  config.resolution = root.Int("resolution");
  config.width_mult = root.Number("width_mult");
  const nlohmann::json& stages = root.Array("stages");
  for (size_t s = 0; s < stages.size(); ++s) {
    const std::string stage_path = root.PathOf("stages") + "[" + std::to_string(s) + "]";
    if (!stages[s].is_array()) {
      throw JsonError("key '" + stage_path + "': expected an array of blocks, got " + JsonTypeName(stages[s]));
    }
    std::vector<BlockChoice> blocks;
    for (size_t b = 0; b < stages[s].size(); ++b) {
      ObjectReader block(stages[s][b], stage_path + "[" + std::to_string(b) + "]");
      blocks.push_back({block.Int("kernel"), block.Int("expand")});
      block.RejectUnknownKeys();
    }
    config.stages.push_back(std::move(blocks));
  }
  root.RejectUnknownKeys();
  return config;
}

}  // namespace

Result<SubnetConfig> ParseSubnetConfigUnvalidated(const std::string& text, const std::string& source) {
  return ParseJsonWith<SubnetConfig>(text, source, FromJson);
}

Result<SubnetConfig> ParseSubnetConfig(const std::string& text, const std::string& source, const OfaSpace* space) {
  Result<SubnetConfig> config = ParseSubnetConfigUnvalidated(text, source);
  if (!config.ok()) return config;
  if (space != nullptr && space->name != config.value().space) {
    return Error{source + ": key 'space': a subnet of space '" + config.value().space + "', not of '" + space->name +
                 "'"};
  }
  Result<OfaSpace> named = space != nullptr ? Result<OfaSpace>(*space) : BuiltinSpace(config.value().space);
  if (!named.ok()) return Error{source + ": key 'space': " + named.error().message};
  if (Status s = ValidateSubnet(named.value(), config.value()); !s.ok()) {
    return Error{source + ": " + s.message()};
  }
  return config;
}

Result<SubnetConfig> LoadSubnetConfig(const std::string& path, const OfaSpace* space) {
  return LoadFileWith(
      path, [&](const std::string& text, const std::string& source) { return ParseSubnetConfig(text, source, space); });
}

std::string SubnetConfigToJson(const SubnetConfig& config) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = kSubnetSchemaVersion;
  doc["space"] = config.space;
  doc["resolution"] = config.resolution;
  doc["width_mult"] = config.width_mult;
  doc["stages"] = nlohmann::ordered_json::array();
  for (const auto& stage : config.stages) {
    nlohmann::ordered_json blocks = nlohmann::ordered_json::array();
    for (const BlockChoice& b : stage) blocks.push_back({{"kernel", b.kernel}, {"expand", b.expand}});
    doc["stages"].push_back(blocks);
  }
  return doc.dump(2) + "\n";
}

}  // namespace kilonas::core
