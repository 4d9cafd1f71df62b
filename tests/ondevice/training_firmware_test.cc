// Firmware trains as the host does: the training program generated as C, cross-compiled for
// Cortex-M7 and Cortex-M4 with their FPUs and soft-float, run in qemu-system-arm on labelled
// samples; every sample's loss (its float bits) and the trained parameters' checksum must equal
// the host trainer's, and the arena's canary must hold. On random residual networks, a network
// with every pooling kind, the searched Fashion-MNIST winner (.tflite) and TFLite Micro's
// person detection model.
#include "ondevice/training_firmware.h"

#include <gtest/gtest.h>

#include <random>

#include "tests/ondevice/random_models.h"
#include "tests/support/random_graphs.h"
#include "tests/support/source_path.h"
#include "tests/support/temp_dir.h"
#include "tests/tflite/test_models.h"

namespace kilonas::ondevice {
namespace {

TrainingSamples RandomSamples(const engine::Model& model, int count, int64_t steps, std::mt19937& rng) {
  TrainingSamples s;
  const int classes = static_cast<int>(model.graph.tensor(model.graph.output()).shape.Elements());
  for (int k = 0; k < count; ++k) {
    s.inputs.push_back(testing::RandomInput(model, rng));
    s.labels.push_back(std::uniform_int_distribution<int>(0, classes - 1)(rng));
  }
  s.steps = steps;
  return s;
}

// Trains on the host and in the firmware of `profile` and expects the same bits.
void ExpectFirmwareTrainsAsTheHost(const engine::Model& model, const UpdateScheme& scheme,
                                   const TrainingSamples& samples, const std::string& profile, bool fpu,
                                   const std::string& name) {
  TrainingFirmwareOptions options;
  options.dir = kilonas::testing::FreshTempPath("train_" + name);
  options.source_root = KILONAS_SOURCE_DIR;
  options.fpu = fpu;
  const core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath(profile)).value();
  core::Result<FirmwareCheck> check = CheckTrainingFirmware(model, scheme, samples, hw, options);
  ASSERT_TRUE(check.ok()) << name << ": " << check.error().message;
  const TrainingFirmwareRun& run = check.value().firmware;
  EXPECT_TRUE(run.arena_intact) << name;
  EXPECT_EQ(run.arena_bytes, BuildTrainingProgram(model, scheme).value().layout.arena_bytes) << name;
  ASSERT_EQ(run.losses.size(), check.value().host_losses.size());
  for (size_t k = 0; k < run.losses.size(); ++k) {
    EXPECT_EQ(run.losses[k], check.value().host_losses[k]) << name << " sample " << k;  // the same bits
  }
  EXPECT_EQ(run.checksum, check.value().host_checksum) << name;
  EXPECT_TRUE(check.value().BitExact()) << name;
  const TrainingLayout layout = BuildTrainingProgram(model, scheme).value().layout;
  EXPECT_NE(ParameterChecksum(model, layout), run.checksum) << name << ": nothing was trained";
}

TEST(TrainingFirmware, TrainsBitExactWithTheHostOnRandomNetworksWithAndWithoutAnFpu) {
  std::mt19937 rng(61);
  int trial = 0;
  for (const char* profile : {"hw_profiles/stm32f746.json", "hw_profiles/stm32f412.json"}) {
    const core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath(profile)).value();
    for (bool fpu : {true, false}) {
      // Draw until the step's arena fits the board (every forward tensor has its own buffer).
      engine::Model model;
      UpdateScheme scheme;
      do {
        model = testing::QuantizedRandomModel(kilonas::testing::RandomGraph(rng), rng);
        scheme = LastBiases(model, 6);
        for (LayerUpdate& u : scheme.layers)
          u.weights.eighths = (1 << std::uniform_int_distribution<int>(0, 4)(rng)) / 2;
        scheme.learning_rate = 0.05;
        scheme.batch_size = 1 + trial % 2;
        scheme.stochastic_rounding = trial % 4 != 1;  // nearest rounding on one of the four
      } while (BuildTrainingProgram(model, scheme).value().layout.arena_bytes > hw.SramBudget() - 16384);
      ExpectFirmwareTrainsAsTheHost(model, scheme, RandomSamples(model, 3, 4, rng), profile, fpu,
                                    "random" + std::to_string(trial++));
    }
  }
}

TEST(TrainingFirmware, TrainsThroughEveryPoolingKind) {
  std::mt19937 rng(62);
  const engine::Model model = testing::QuantizedRandomModel(kilonas::testing::PoolNetwork(/*softmax=*/true), rng);
  UpdateScheme scheme;
  scheme.layers = {{"expand", true, {4}}, {"dw", true, {8}}, {"fc", true, {8}}};
  scheme.learning_rate = 0.05;
  ExpectFirmwareTrainsAsTheHost(model, scheme, RandomSamples(model, 2, 3, rng), "hw_profiles/stm32f746.json", true,
                                "pools");
}

TEST(TrainingFirmware, TheSearchedFashionMnistWinnerAndPersonDetectionTrainBitExact) {
  std::mt19937 rng(63);
  const engine::Model winner = tflite::testing::ImportedTestModel("fmnist_sram8_flash64.tflite");
  UpdateScheme sparse = LastBiases(winner, 8);
  sparse.layers.back().weights.eighths = 8;
  sparse.layers[sparse.layers.size() - 3].weights.eighths = 2;
  ExpectFirmwareTrainsAsTheHost(winner, sparse, RandomSamples(winner, 2, 3, rng), "hw_profiles/stm32f746.json", true,
                                "winner");
  const engine::Model person = tflite::testing::ImportedTestModel("person_detect.tflite");
  // Its training arena with a buffer per forward tensor (about 330 kB) fits the H743's SRAM.
  ExpectFirmwareTrainsAsTheHost(person, LastLayers(person, 2), RandomSamples(person, 1, 2, rng),
                                "hw_profiles/stm32h743.json", true, "person");
}

}  // namespace
}  // namespace kilonas::ondevice
