#include <algorithm>

#include "core/json_util.h"
#include "core/ofa_space.h"
#include "supernet/train_config.h"

namespace kilonas::supernet {
namespace {

constexpr int kTrainConfigSchemaVersion = 1;

const std::pair<const char*, Elastic> kElasticNames[] = {{"resolution", Elastic::kResolution},
                                                         {"kernel", Elastic::kKernel},
                                                         {"depth", Elastic::kDepth},
                                                         {"expand", Elastic::kExpand},
                                                         {"width", Elastic::kWidth}};

// [r, g, b], 0..255 each: what transparent pixels are composited over.
void ReadBackground(core::ObjectReader& r, TrainConfig& c) {
  if (!r.Has("background")) return;
  const nlohmann::json& rgb = r.Array("background");
  if (rgb.size() != 3) r.Fail("background", "expected [r, g, b]");
  for (size_t i = 0; i < 3; ++i) {
    if (!rgb[i].is_number_integer() || rgb[i].get<int64_t>() < 0 || rgb[i].get<int64_t>() > 255) {
      r.Fail("background", "expected [r, g, b] with each value in 0..255");
    }
    c.background[i] = static_cast<uint8_t>(rgb[i].get<int64_t>());
  }
}

// SGD, the sandwich rule, distillation and augmentation.
void ReadRecipe(core::ObjectReader& r, TrainConfig& c) {
  c.seed = static_cast<uint64_t>(r.Int64("seed"));
  c.momentum = r.Number("momentum");
  c.weight_decay = r.Number("weight_decay");
  if (c.momentum < 0 || c.momentum >= 1) r.Fail("momentum", "must be in [0, 1)");
  if (c.weight_decay < 0 || c.weight_decay > 0.1) r.Fail("weight_decay", "must be in [0, 0.1]");
  c.sandwich_random_subnets = r.Int("sandwich_random_subnets");
  if (c.sandwich_random_subnets < 0 || c.sandwich_random_subnets > 16) {
    r.Fail("sandwich_random_subnets", "must be in 0..16");
  }
  c.distill_weight = r.Number("distill_weight");
  c.distill_temperature = r.Number("distill_temperature");
  if (c.distill_weight < 0) r.Fail("distill_weight", "must be >= 0");
  if (c.distill_temperature <= 0) r.Fail("distill_temperature", "must be > 0");
  c.augment_shift = r.Int("augment_shift");
  if (c.augment_shift < 0 || c.augment_shift > 8) r.Fail("augment_shift", "must be in 0..8");
  c.augment_flip = r.Bool("augment_flip");
  if (r.Has("augment_erase")) c.augment_erase = r.Number("augment_erase");
  if (!(c.augment_erase >= 0 && c.augment_erase <= 1)) r.Fail("augment_erase", "must be a probability in [0, 1]");
}

Phase ReadPhase(const nlohmann::json& doc, size_t index) {
  core::ObjectReader p(doc, "phases[" + std::to_string(index) + "]");
  Phase phase;
  phase.name = p.String("name");
  phase.epochs = p.IntInRange("epochs", 1, 10000);
  phase.learning_rate = p.Number("learning_rate");
  if (phase.learning_rate <= 0 || phase.learning_rate > 10) p.Fail("learning_rate", "must be in (0, 10]");
  for (const auto& e : p.Array("elastic")) {
    const std::string name = e.is_string() ? e.get<std::string>() : "";
    const auto* it = std::find_if(std::begin(kElasticNames), std::end(kElasticNames),
                                  [&](const auto& n) { return name == n.first; });
    if (it == std::end(kElasticNames)) {
      p.Fail("elastic", "unknown dimension '" + name + "' (resolution, kernel, depth, expand, width)");
    }
    phase.elastic.push_back(it->second);
  }
  if (p.Has("largest_at_max_resolution")) phase.largest_at_max_resolution = p.Bool("largest_at_max_resolution");
  p.RejectUnknownKeys();
  return phase;
}

TrainConfig FromJson(const nlohmann::json& doc) {
  core::ObjectReader r(doc, "");
  r.RequireSchemaVersion(kTrainConfigSchemaVersion);
  TrainConfig c;
  c.space = r.String("space");
  if (const core::Result<core::OfaSpace> space = core::ResolveSpace(c.space); !space.ok()) {
    r.Fail("space", space.error().message);
  }
  if (r.Has("data_dir")) r.Fail("data_dir", "is now \"data\": a data set directory, or format:path (docs/data.md)");
  c.data = r.String("data");
  ReadBackground(r, c);
  c.validation_size = r.Int("validation_size");
  if (c.validation_size < 1 || c.validation_size > 100000) r.Fail("validation_size", "must be in 1..100000");
  c.train_images = r.Int("train_images");
  if (c.train_images < 0) r.Fail("train_images", "must be >= 0 (0: the whole train split)");
  c.batch_size = r.IntInRange("batch_size", 1, 4096);
  c.threads = r.IntInRange("threads", 1, 256);
  if (r.Has("device")) c.device = r.String("device");
  if (r.Has("synchronized_batch_norm")) c.synchronized_batch_norm = r.Bool("synchronized_batch_norm");
  if (!IsDeviceName(c.device)) r.Fail("device", "must be \"cpu\" or \"cuda\" (or \"cuda:N\")");
  ReadRecipe(r, c);
  c.bn_recalibration_batches = r.IntInRange("bn_recalibration_batches", 1, 1000);
  c.progress_every_steps = r.IntInRange("progress_every_steps", 1, 1000000);
  c.checkpoint_dir = r.String("checkpoint_dir");
  const nlohmann::json& phases = r.Array("phases");
  if (phases.empty()) r.Fail("phases", "at least one phase is needed");
  for (size_t i = 0; i < phases.size(); ++i) c.phases.push_back(ReadPhase(phases[i], i));
  r.RejectUnknownKeys();
  return c;
}

}  // namespace

bool IsDeviceName(const std::string& name) {
  if (name == "cpu" || name == "cuda") return true;
  if (name.rfind("cuda:", 0) != 0 || name.size() == 5) return false;
  return std::all_of(name.begin() + 5, name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool Phase::Has(Elastic e) const { return std::find(elastic.begin(), elastic.end(), e) != elastic.end(); }

core::Result<TrainConfig> ParseTrainConfig(const std::string& text, const std::string& source) {
  return core::ParseJsonWith<TrainConfig>(text, source, FromJson);
}

core::Result<TrainConfig> LoadTrainConfig(const std::string& path) {
  return core::LoadFileWith(path, ParseTrainConfig);
}

}  // namespace kilonas::supernet
