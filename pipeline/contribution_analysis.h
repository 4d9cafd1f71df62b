// MCUNetV3's contribution analysis, measured: every fine-tune ondevice::ContributionRuns names,
// run on the host (the training step bit-exact with the firmware) on a transfer data set and scored
// on its validation split (the test split stays for the final figure). The runs are independent:
// they run in parallel over the threads (and over the ranks of a Collective where one is given),
// and each finished run is written to a cache file at once, so an interrupted analysis resumes
// where it stopped and a second one on the same model, data and settings costs nothing.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "engine/model.h"
#include "ondevice/scheme_search.h"
#include "ondevice/update_scheme.h"

namespace kilonas::supernet {
class Collective;
}

namespace kilonas::pipeline {

struct ContributionOptions {
  int64_t eval_images = 0;  // validation images each run is scored on (0: all)
  uint32_t seed = 1;        // the order of the training images, the same in every run
  std::string cache_path;   // JSON of the runs done so far ("": none)
  // What else the runs depend on (how the model was changed before, e.g. a re-initialised head).
  std::string note;
  supernet::Collective* collective = nullptr;  // null: this process alone
};

// The validation accuracy of each run (a choice fine-tuned from `model` with `settings`' learning
// rate, steps, batch and QAS), by run name. A cache made for another model, data set or settings
// is not used (the log says so) and is replaced.
core::Result<std::map<std::string, double>> MeasureSchemes(const engine::Model& model,
                                                           const ondevice::UpdateScheme& settings,
                                                           const data::Dataset& set,
                                                           const std::vector<ondevice::ContributionRun>& runs,
                                                           const ContributionOptions& options);

// MeasureSchemes over ondevice::ContributionRuns.
core::Result<ondevice::Contributions> AnalyseContributions(const engine::Model& model,
                                                           const ondevice::UpdateScheme& settings,
                                                           const data::Dataset& set,
                                                           const ContributionOptions& options);

}  // namespace kilonas::pipeline
