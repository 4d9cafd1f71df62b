#include "pipeline/contribution_analysis.h"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>

#include "core/crc32.h"
#include "core/file_io.h"
#include "core/logging.h"
#include "engine/model_file.h"
#include "pipeline/fine_tune.h"
#include "supernet/distributed.h"

namespace kilonas::pipeline {
namespace {

using nlohmann::json;

uint32_t SetChecksum(const data::ImageSet& set) {
  return core::Crc32(set.pixels.data(), set.pixels.size()) ^ core::Crc32(set.labels.data(), set.labels.size());
}

// What the runs' accuracies depend on.
json Identity(const engine::Model& model, const ondevice::UpdateScheme& settings, const data::Dataset& set,
              const ContributionOptions& options) {
  const std::string model_bytes = engine::SerializeModel(model);
  const data::Normalization& n = set.normalization();
  return {{"model_crc32", core::Crc32Text(core::Crc32(model_bytes.data(), model_bytes.size()))},
          {"data", set.source},
          {"train_crc32", core::Crc32Text(SetChecksum(set.train))},
          {"validation_crc32", core::Crc32Text(SetChecksum(set.validation))},
          {"normalization", {n.mean, n.std}},
          {"eval_images", options.eval_images},
          {"seed", options.seed},
          {"learning_rate", settings.learning_rate},
          {"steps", settings.steps},
          {"batch_size", settings.batch_size},
          {"qas", settings.qas},
          {"stochastic_rounding", settings.stochastic_rounding},
          {"note", options.note}};
}

// The cache file's text; "" where there is none.
std::string CacheText(const std::string& path) {
  if (path.empty() || !std::filesystem::exists(path)) return "";
  const core::Result<std::string> text = core::ReadTextFile(path);
  return text.ok() ? text.value() : "unreadable";
}

// The cached accuracies of `runs` where the cache (the text of file `path`) was made for
// `identity`; else none.
std::map<std::string, double> ParseCache(const std::string& text, const std::string& path, const json& identity,
                                         const std::vector<ondevice::ContributionRun>& runs) {
  std::map<std::string, double> accuracy;
  if (text.empty()) return accuracy;
  const json file = json::parse(text, nullptr, false);
  if (!file.is_object() || file.value("identity", json()) != identity || !file.contains("accuracy") ||
      !file["accuracy"].is_object()) {
    core::Logger()->warn(
        "fine-tunes: {} was made for another model, data set or settings (or is "
        "unreadable): running every fine-tune again",
        path);
    return accuracy;
  }
  for (const ondevice::ContributionRun& run : runs) {
    const json& value = file["accuracy"].value(run.name, json());
    if (value.is_number() && value.get<double>() >= 0 && value.get<double>() <= 1) {
      accuracy[run.name] = value.get<double>();
    }
  }
  return accuracy;
}

core::Status SaveCache(const std::string& path, const json& identity, const std::map<std::string, double>& accuracy) {
  if (path.empty()) return core::Status::Ok();
  const json file = {{"schema_version", 1}, {"identity", identity}, {"accuracy", accuracy}};
  return core::WriteFileAtomic(path, file.dump(2) + "\n");
}

// Rank `rank`'s share of the runs still to do: every world-th.
std::vector<size_t> MyShare(size_t todo, int rank, int world) {
  std::vector<size_t> mine;
  for (size_t i = static_cast<size_t>(rank); i < todo; i += static_cast<size_t>(world)) mine.push_back(i);
  return mine;
}

// Every rank's results of the runs to do (-1: not run there; -2: failed there), as one vector:
// a run failed anywhere is -2, else its one result.
std::vector<double> GatherRuns(supernet::Collective* collective, const std::vector<double>& local) {
  if (collective == nullptr || !collective->distributed()) return local;
  const std::vector<double> all = collective->AllGather(local);
  std::vector<double> merged(local.size(), -1);
  for (size_t r = 0; r * local.size() < all.size(); ++r) {
    for (size_t i = 0; i < local.size(); ++i) {
      const double v = all[r * local.size() + i];
      merged[i] = merged[i] == -2 || v == -2 ? -2 : std::max(merged[i], v);
    }
  }
  return merged;
}

// The runs of `mine` (indices into `todo`), in parallel over the threads: each accuracy into
// `local` (-2 where it failed) and into `accuracy`, which is saved after each run by the writer.
struct Share {
  const ondevice::SparseLayers& layers;
  const std::vector<const ondevice::ContributionRun*>& todo;
  const std::vector<size_t>& mine;
  const json& identity;
  bool writer = true;
};
std::optional<core::Error> RunShare(const engine::Model& model, const ondevice::UpdateScheme& settings,
                                    const data::Dataset& set, const ContributionOptions& options, const Share& share,
                                    std::vector<double>& local, std::map<std::string, double>& accuracy) {
  FineTuneOptions tune;
  tune.eval_images = options.eval_images;
  tune.seed = options.seed;
  tune.progress_lines = 0;
  tune.on_validation = true;
  tune.measure_before = false;
  std::optional<core::Error> failure;
  const auto start = std::chrono::steady_clock::now();
  size_t done = 0;
#pragma omp parallel for schedule(dynamic, 1)
  for (size_t k = 0; k < share.mine.size(); ++k) {
    const ondevice::ContributionRun& run = *share.todo[share.mine[k]];
    core::Result<FineTuneResult> tuned = FineTune(model, SchemeOf(share.layers, run.choice, settings), set, tune);
#pragma omp critical(contribution_analysis)
    {
      ++done;
      local[share.mine[k]] = tuned.ok() ? tuned.value().accuracy_after : -2;
      if (!tuned.ok()) {
        if (!failure) failure = core::Error{"fine-tune '" + run.name + "': " + tuned.error().message};
      } else {
        accuracy[run.name] = tuned.value().accuracy_after;
        core::Status saved =
            share.writer ? SaveCache(options.cache_path, share.identity, accuracy) : core::Status::Ok();
        if (!saved.ok() && !failure) failure = saved.error();
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (done % 10 == 0 || done == share.mine.size()) {
          core::Logger()->info("fine-tunes: {}/{} done ({:.0f} s, about {:.0f} s left); '{}': {:.2f}%", done,
                               share.mine.size(), seconds,
                               seconds / static_cast<double>(done) * static_cast<double>(share.mine.size() - done),
                               run.name, 100 * tuned.value().accuracy_after);
        }
      }
    }
  }
  return failure;
}

}  // namespace

core::Result<std::map<std::string, double>> MeasureSchemes(const engine::Model& model,
                                                           const ondevice::UpdateScheme& settings,
                                                           const data::Dataset& set,
                                                           const std::vector<ondevice::ContributionRun>& runs,
                                                           const ContributionOptions& options) {
  core::Result<ondevice::SparseLayers> layers = ondevice::SparseLayersOf(model);
  if (!layers.ok()) return layers.error();
  const json identity = Identity(model, settings, set, options);
  const int rank = options.collective ? options.collective->rank() : 0;
  const int world = options.collective ? options.collective->world_size() : 1;
  std::string cache = CacheText(options.cache_path);
  if (world > 1) {  // every rank the same runs to do: rank 0's cache
    core::Status agreed = supernet::Guard([&] {
      cache = options.collective->BroadcastText(cache);
      return options.collective->CheckSameRun(identity.dump());
    });
    if (!agreed.ok()) return agreed.error();
  }
  std::map<std::string, double> accuracy = ParseCache(cache, options.cache_path, identity, runs);  // then measured
  std::vector<const ondevice::ContributionRun*> todo;
  for (const ondevice::ContributionRun& run : runs) {
    if (!accuracy.count(run.name)) todo.push_back(&run);
  }
  const std::vector<size_t> mine = MyShare(todo.size(), rank, world);
  core::Logger()->info("fine-tunes: {} of {} samples ({} cached{}), each scored on {} validation images", runs.size(),
                       static_cast<int64_t>(settings.steps) * settings.batch_size, runs.size() - todo.size(),
                       world > 1 ? ", " + std::to_string(mine.size()) + " on this rank" : std::string(),
                       options.eval_images > 0
                           ? std::min<int64_t>(options.eval_images, static_cast<int64_t>(set.validation.size()))
                           : static_cast<int64_t>(set.validation.size()));
  std::vector<double> local(todo.size(), -1);
  std::optional<core::Error> failure =
      RunShare(model, settings, set, options, {layers.value(), todo, mine, identity, rank == 0}, local, accuracy);
  std::vector<double> all;
  core::Status gathered = supernet::Guard([&] {
    all = GatherRuns(options.collective, local);
    return core::Status::Ok();
  });
  if (!gathered.ok()) return gathered.error();
  for (size_t i = 0; i < todo.size(); ++i) {
    if (all[i] == -2 && !failure) failure = core::Error{"fine-tune '" + todo[i]->name + "' failed on another rank"};
    if (all[i] >= 0) accuracy[todo[i]->name] = all[i];
  }
  if (failure) return *failure;
  if (rank == 0) {
    if (core::Status s = SaveCache(options.cache_path, identity, accuracy); !s.ok()) return s.error();
  }
  return accuracy;
}

core::Result<ondevice::Contributions> AnalyseContributions(const engine::Model& model,
                                                           const ondevice::UpdateScheme& settings,
                                                           const data::Dataset& set,
                                                           const ContributionOptions& options) {
  core::Result<ondevice::SparseLayers> layers = ondevice::SparseLayersOf(model);
  if (!layers.ok()) return layers.error();
  core::Logger()->info("contribution analysis: the classifier, each bias depth and each layer's weights at 1/8 .. 1");
  core::Result<std::map<std::string, double>> measured =
      MeasureSchemes(model, settings, set, ondevice::ContributionRuns(layers.value()), options);
  if (!measured.ok()) return measured.error();
  return ondevice::Contributions{measured.value()};
}

}  // namespace kilonas::pipeline
