#include "core/json_util.h"
#include "memory_planner/memory_plan.h"
#include "search/search_config.h"

namespace kilonas::search {
namespace {

constexpr int kSearchSchemaVersion = 1;

SearchConfig FromJson(const nlohmann::json& doc) {
  core::ObjectReader r(doc, "");
  r.RequireSchemaVersion(kSearchSchemaVersion);
  SearchConfig c;
  c.supernet_config = r.String("supernet_config");
  c.supernet_checkpoint_dir = r.String("supernet_checkpoint_dir");
  c.execution_mode = r.String("execution_mode");
  if (core::Result<memory_planner::PlanMode> mode = memory_planner::ParsePlanMode(c.execution_mode); !mode.ok()) {
    r.Fail("execution_mode", mode.error().message);
  }
  if (r.Has("latency_ms")) {
    c.latency_ms = r.Number("latency_ms");
    if (!(*c.latency_ms > 0)) r.Fail("latency_ms", "must be positive");
  }
  c.stage1_samples = r.IntInRange("stage1_samples", 1, 100000);
  core::ObjectReader e(r.Object("evolution"), "evolution");
  c.evolution.population = e.IntInRange("population", 4, 100000);
  c.evolution.parent_ratio = e.Number("parent_ratio");
  if (!(c.evolution.parent_ratio > 0 && c.evolution.parent_ratio < 1)) e.Fail("parent_ratio", "must be in (0, 1)");
  c.evolution.mutation_probability = e.Number("mutation_probability");
  if (!(c.evolution.mutation_probability >= 0 && c.evolution.mutation_probability <= 1)) {
    e.Fail("mutation_probability", "must be in [0, 1]");
  }
  c.evolution.mutation_ratio = e.Number("mutation_ratio");
  if (!(c.evolution.mutation_ratio >= 0 && c.evolution.mutation_ratio <= 1))
    e.Fail("mutation_ratio", "must be in [0, 1]");
  c.evolution.generations = e.IntInRange("generations", 0, 100000);
  c.evolution.max_attempts = e.IntInRange("max_attempts", 1, 1000000);
  if (e.Has("multi_objective")) c.evolution.multi_objective = e.Bool("multi_objective");
  e.RejectUnknownKeys();
  c.seed = static_cast<uint64_t>(r.Int64("seed"));
  if (r.Has("accuracy_source")) {
    c.accuracy_source = r.String("accuracy_source");
    if (c.accuracy_source != "supernet" && c.accuracy_source != "predictor") {
      r.Fail("accuracy_source", "must be supernet or predictor");
    }
  }
  if (r.Has("predictor_samples")) c.predictor_samples = r.IntInRange("predictor_samples", 10, 100000);
  if (r.Has("predictor_remeasure_best")) c.predictor_remeasure_best = r.IntInRange("predictor_remeasure_best", 1, 1000);
  c.validation_images = r.IntInRange("validation_images", 10, 30000);
  c.bn_batches = r.IntInRange("bn_batches", 1, 1000);
  c.bn_batch_size = r.IntInRange("bn_batch_size", 1, 10000);
  c.calibration_images = r.IntInRange("calibration_images", 1, 10000);
  c.test_images = r.IntInRange("test_images", 0, 10000);
  c.output_dir = r.String("output_dir");
  r.RejectUnknownKeys();
  return c;
}

}  // namespace

core::Result<SearchConfig> ParseSearchConfig(const std::string& text, const std::string& source) {
  return core::ParseJsonWith<SearchConfig>(text, source, FromJson);
}

core::Result<SearchConfig> LoadSearchConfig(const std::string& path) {
  return core::LoadFileWith(path, ParseSearchConfig);
}

std::string SearchConfigToJson(const SearchConfig& c) {
  nlohmann::ordered_json doc;
  doc["schema_version"] = kSearchSchemaVersion;
  doc["supernet_config"] = c.supernet_config;
  doc["supernet_checkpoint_dir"] = c.supernet_checkpoint_dir;
  doc["execution_mode"] = c.execution_mode;
  if (c.latency_ms) doc["latency_ms"] = *c.latency_ms;
  doc["stage1_samples"] = c.stage1_samples;
  doc["evolution"] = {{"population", c.evolution.population},
                      {"parent_ratio", c.evolution.parent_ratio},
                      {"mutation_probability", c.evolution.mutation_probability},
                      {"mutation_ratio", c.evolution.mutation_ratio},
                      {"generations", c.evolution.generations},
                      {"max_attempts", c.evolution.max_attempts},
                      {"multi_objective", c.evolution.multi_objective}};
  doc["seed"] = c.seed;
  doc["accuracy_source"] = c.accuracy_source;
  doc["predictor_samples"] = c.predictor_samples;
  doc["predictor_remeasure_best"] = c.predictor_remeasure_best;
  doc["validation_images"] = c.validation_images;
  doc["bn_batches"] = c.bn_batches;
  doc["bn_batch_size"] = c.bn_batch_size;
  doc["calibration_images"] = c.calibration_images;
  doc["test_images"] = c.test_images;
  doc["output_dir"] = c.output_dir;
  return doc.dump(2) + "\n";
}

}  // namespace kilonas::search
