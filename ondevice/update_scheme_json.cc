// The update scheme's JSON file (update_scheme.h).
#include <cmath>

#include "core/json_util.h"
#include "ondevice/update_scheme.h"

namespace kilonas::ondevice {
namespace {

constexpr int kSchemaVersion = 1;
constexpr int kMaxSteps = 10000000;
constexpr int kMaxBatch = 1024;

LayerUpdate ParseLayer(const nlohmann::json& item, const std::string& path) {
  core::ObjectReader o(item, path);
  LayerUpdate u;
  u.layer = o.String("layer");
  if (u.layer.empty()) o.Fail("layer", "empty");
  if (o.Has("bias")) u.bias = o.Bool("bias");
  if (o.Has("weights")) {
    core::Result<ChannelRatio> ratio = ParseChannelRatio(o.String("weights"));
    if (!ratio.ok()) o.Fail("weights", ratio.error().message);
    u.weights = ratio.value();
  }
  o.RejectUnknownKeys();
  return u;
}

UpdateScheme ParseScheme(const nlohmann::json& doc) {
  core::ObjectReader o(doc, "");
  o.RequireSchemaVersion(kSchemaVersion);
  UpdateScheme s;
  s.model = o.String("model");
  if (o.Has("learning_rate")) {
    s.learning_rate = o.Number("learning_rate");
    if (!std::isfinite(s.learning_rate) || s.learning_rate <= 0) o.Fail("learning_rate", "must be a positive number");
  }
  if (o.Has("steps")) s.steps = o.IntInRange("steps", 1, kMaxSteps);
  if (o.Has("batch_size")) s.batch_size = o.IntInRange("batch_size", 1, kMaxBatch);
  if (o.Has("qas")) s.qas = o.Bool("qas");
  if (o.Has("rounding")) {
    const std::string rounding = o.String("rounding");
    if (rounding != "stochastic" && rounding != "nearest")
      o.Fail("rounding", "'" + rounding + "' is not stochastic or nearest");
    s.stochastic_rounding = rounding == "stochastic";
  }
  const nlohmann::json& layers = o.Array("layers");
  for (size_t i = 0; i < layers.size(); ++i) {
    s.layers.push_back(ParseLayer(layers[i], o.PathOf("layers") + "[" + std::to_string(i) + "]"));
  }
  o.RejectUnknownKeys();
  return s;
}

}  // namespace

core::Result<UpdateScheme> ParseUpdateScheme(const std::string& text, const std::string& source) {
  return core::ParseJsonWith<UpdateScheme>(text, source, ParseScheme);
}

core::Result<UpdateScheme> LoadUpdateScheme(const std::string& path) {
  core::Result<std::string> text = core::ReadTextFile(path);
  if (!text.ok()) return text.error();
  return ParseUpdateScheme(text.value(), path);
}

std::string UpdateSchemeJson(const UpdateScheme& scheme) {
  nlohmann::json doc = {{"schema_version", kSchemaVersion},
                        {"model", scheme.model},
                        {"learning_rate", scheme.learning_rate},
                        {"steps", scheme.steps},
                        {"batch_size", scheme.batch_size},
                        {"qas", scheme.qas},
                        {"rounding", scheme.stochastic_rounding ? "stochastic" : "nearest"},
                        {"layers", nlohmann::json::array()}};
  for (const LayerUpdate& u : scheme.layers) {
    doc["layers"].push_back({{"layer", u.layer}, {"bias", u.bias}, {"weights", u.weights.Text()}});
  }
  return doc.dump(2) + "\n";
}

core::Status SaveUpdateScheme(const UpdateScheme& scheme, const std::string& path) {
  return core::WriteFileAtomic(path, UpdateSchemeJson(scheme));
}

}  // namespace kilonas::ondevice
