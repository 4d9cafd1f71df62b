// Trainer: a killed and resumed run ends with exactly the weights of an uninterrupted one;
// config and checkpoint errors are clear.
#include "supernet/trainer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "core/file_io.h"
#include "supernet/train_loop.h"
#include "tests/support/source_path.h"

namespace kilonas::supernet {
namespace {

TrainConfig TinyConfig(const std::string& dir) {
  TrainConfig c;
  c.train_images = 192;
  c.batch_size = 64;
  c.threads = 1;  // bitwise reproducible
  c.sandwich_random_subnets = 1;
  c.progress_every_steps = 1000;
  c.checkpoint_dir = std::string(KILONAS_TEST_OUT) + "/" + dir;
  c.phases = {{"largest", 1, 0.05, {Elastic::kResolution}},
              {"shrink",
               2,
               0.02,
               {Elastic::kResolution, Elastic::kKernel, Elastic::kDepth, Elastic::kExpand, Elastic::kWidth}}};
  std::filesystem::remove_all(c.checkpoint_dir);
  return c;
}

// The first parameter whose values differ between the two supernets; "" when none does.
std::string FirstDifferentParameter(Trainer& a, Trainer& b) {
  auto pa = a.supernet()->named_parameters();
  auto pb = b.supernet()->named_parameters();
  if (pa.size() != pb.size()) return "(parameter counts differ)";
  for (const auto& item : pa) {
    if (!torch::equal(item.value(), pb[item.key()])) return item.key();
  }
  return "";
}

// Trains `config` for `kill_after` epochs, drops that trainer as a kill would, and finishes
// the run in a new one with resume; nullptr (after a test failure) if a step fails.
std::unique_ptr<Trainer> KilledAndResumed(const TrainConfig& config, int kill_after) {
  {
    auto first = Trainer::Create(config, false);
    if (!first.ok() || !first.value()->Run(kill_after).ok()) return ADD_FAILURE() << "first run failed", nullptr;
    EXPECT_FALSE(first.value()->Done());
  }
  auto resumed = Trainer::Create(config, true);
  if (!resumed.ok()) return ADD_FAILURE() << resumed.error().message, nullptr;
  if (!resumed.value()->Run().ok()) return ADD_FAILURE() << "resumed run failed", nullptr;
  EXPECT_TRUE(resumed.value()->Done());
  return std::move(resumed.value());
}

// train_images caps an epoch: a small folder under a big config gets few steps (logged, warned).
TEST(TrainingSteps, AreWholeBatchesOfTheCappedEpochTimesAllEpochs) {
  TrainConfig config;
  config.batch_size = 64;
  config.train_images = 2048;
  config.phases = {Phase{"a", 2}, Phase{"b", 1}};
  EXPECT_EQ(TrainingSteps(5000, config), 3 * 32);  // capped at 2048 images
  EXPECT_EQ(TrainingSteps(1000, config), 3 * 15);  // the folder is smaller than the cap
  config.train_images = 0;
  EXPECT_EQ(TrainingSteps(1000, config), 3 * 15);
  EXPECT_EQ(EpochImages(1000, 2048), 1000u);
}

TEST(Trainer, KilledAndResumedRunEqualsTheUninterruptedOne) {
  auto full = Trainer::Create(TinyConfig("train_full"), false);
  ASSERT_TRUE(full.ok()) << full.error().message;
  ASSERT_TRUE(full.value()->Run().ok());
  ASSERT_TRUE(full.value()->Done());

  // "Killed" after the first epoch of the shrinking phase.
  std::unique_ptr<Trainer> resumed = KilledAndResumed(TinyConfig("train_resumed"), 2);
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(resumed->history().size(), 1u);  // only the remaining epoch ran
  EXPECT_EQ(FirstDifferentParameter(*full.value(), *resumed), "");
}

// A checkpoint carries the input statistics it was trained with, and a resumed trainer normalises
// every split with them, not with statistics recomputed from today's data (here a training split
// made different by another validation size).
TEST(Trainer, ResumedTrainerNormalisesWithTheCheckpointsStatistics) {
  TrainConfig config = TinyConfig("train_statistics");
  config.phases = {{"largest", 2, 0.05, {Elastic::kResolution}}};
  auto first = Trainer::Create(config, false);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first.value()->Run(1).ok());
  const data::Normalization trained = first.value()->data().normalization();
  ASSERT_EQ(trained.mean.size(), 1u);

  config.validation_size = 5000;
  auto fresh = Trainer::Create(config, false);
  auto resumed = Trainer::Create(config, true);
  ASSERT_TRUE(fresh.ok() && resumed.ok());
  ASSERT_NE(fresh.value()->data().normalization().mean, trained.mean);  // else this test proves nothing
  for (const ImageSet* split :
       {&resumed.value()->train_set(), &resumed.value()->validation_set(), &resumed.value()->test_set()}) {
    EXPECT_EQ(split->normalization.mean, trained.mean);
    EXPECT_EQ(split->normalization.std, trained.std);
  }
}

// A phase flagged largest_at_max_resolution changes training from that phase on and no
// earlier (so a checkpoint from before the flagged phase continues exactly as a fresh run
// of the config would), and a killed run of it still resumes exactly.
TEST(Trainer, LargestAtMaxResolutionActsOnlyInItsPhaseAndResumes) {
  auto plain = Trainer::Create(TinyConfig("train_plain"), false);
  TrainConfig flagged_config = TinyConfig("train_flagged");
  flagged_config.phases[1].largest_at_max_resolution = true;
  auto flagged = Trainer::Create(flagged_config, false);
  ASSERT_TRUE(plain.ok() && flagged.ok());
  ASSERT_TRUE(plain.value()->Run(1).ok());
  ASSERT_TRUE(flagged.value()->Run(1).ok());
  EXPECT_EQ(FirstDifferentParameter(*plain.value(), *flagged.value()), "");  // phase 1 is not flagged
  ASSERT_TRUE(plain.value()->Run().ok());
  ASSERT_TRUE(flagged.value()->Run().ok());
  EXPECT_NE(FirstDifferentParameter(*plain.value(), *flagged.value()), "");

  TrainConfig resumed_config = flagged_config;
  resumed_config.checkpoint_dir = std::string(KILONAS_TEST_OUT) + "/train_flagged_resumed";
  std::filesystem::remove_all(resumed_config.checkpoint_dir);
  std::unique_ptr<Trainer> resumed = KilledAndResumed(resumed_config, 2);
  ASSERT_NE(resumed, nullptr);
  EXPECT_EQ(FirstDifferentParameter(*flagged.value(), *resumed), "");
}

TEST(Trainer, ResumeWithoutACheckpointIsAnError) {
  auto r = Trainer::Create(TinyConfig("train_none"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no checkpoint to resume from"), std::string::npos);
}

// A checkpoint is verified against its manifest before LibTorch reads it (LibTorch does not check
// its archive's CRCs): one flipped byte, a missing manifest or another phase schedule is an error
// A space file is the space its content describes: a checkpoint trained with one resumes with
// an identical copy elsewhere (other path, other description, other layout), and refuses the
// same path once edited, even where the edit keeps every weight's shape (fewer width choices).
TEST(Trainer, ASpaceFileIsIdentifiedByItsContentNotItsPath) {
  const std::string dir = std::string(KILONAS_TEST_OUT) + "/space_identity";
  std::filesystem::create_directories(dir);
  const std::string original = core::ReadTextFile(kilonas::testing::SourcePath("configs/spaces/fmnist.json")).value();
  auto write = [&](const std::string& path, const std::string& text) {
    ASSERT_TRUE(core::WriteFileAtomic(path, text).ok());
  };
  write(dir + "/space.json", original);
  TrainConfig config = TinyConfig("space_identity/checkpoint");
  config.space = dir + "/space.json";
  config.phases.resize(1);
  config.phases[0].epochs = 2;
  {
    auto first = Trainer::Create(config, false);
    ASSERT_TRUE(first.ok()) << first.error().message;
    ASSERT_TRUE(first.value()->Run(1).ok());
  }
  std::string copy = original;
  copy.replace(copy.find("\"description\""), 13, "\n  \"description\"");  // other bytes, same network
  write(dir + "/copy.json", copy);
  config.space = dir + "/copy.json";
  auto resumed = Trainer::Create(config, true);
  EXPECT_TRUE(resumed.ok()) << resumed.error().message;

  std::string edited = original;
  edited.replace(edited.find("[0.5, 0.75, 1.0]"), 16, "[0.5, 1.0]");
  write(dir + "/space.json", edited);
  config.space = dir + "/space.json";
  auto refused = Trainer::Create(config, true);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("belongs to space 'fmnist (space file, network CRC-32 "), std::string::npos)
      << refused.error().message;
}

// naming the file and what to do.
TEST(Trainer, CorruptOrForeignCheckpointIsAnErrorNamingIt) {
  const TrainConfig config = TinyConfig("train_corrupt");
  {
    auto first = Trainer::Create(config, false);
    ASSERT_TRUE(first.ok() && first.value()->Run(1).ok());
  }
  const std::string path = config.checkpoint_dir + "/checkpoint.pt";
  ASSERT_TRUE(Trainer::Create(config, true).ok());

  TrainConfig other = config;
  other.phases[1].epochs = 3;
  auto foreign = Trainer::Create(other, true);
  ASSERT_FALSE(foreign.ok());
  EXPECT_NE(foreign.error().message.find("checkpoint.pt: belongs to phases 'largest:1,shrink:2', this run's phases is "
                                         "'largest:1,shrink:3'"),
            std::string::npos)
      << foreign.error().message;

  std::string bytes = core::ReadTextFile(path).value();
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  auto flipped = Trainer::Create(config, true);
  ASSERT_FALSE(flipped.ok());
  EXPECT_NE(flipped.error().message.find("checkpoint.pt: corrupt or modified"), std::string::npos)
      << flipped.error().message;
  EXPECT_NE(flipped.error().message.find("restore it"), std::string::npos);

  std::filesystem::remove(path + ".manifest.json");
  auto unverified = Trainer::Create(config, true);
  ASSERT_FALSE(unverified.ok());
  EXPECT_NE(unverified.error().message.find("no manifest"), std::string::npos) << unverified.error().message;
}

TEST(TrainConfig, CommittedConfigsLoad) {
  for (const std::string& path : {kilonas::testing::SourcePath("configs/supernet_fmnist_quick.json"),
                                  kilonas::testing::SourcePath("configs/supernet_fmnist_full.json")}) {
    core::Result<TrainConfig> c = LoadTrainConfig(path);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c.value().space, "fmnist");
    EXPECT_TRUE(c.value().phases.back().Has(Elastic::kExpand));
  }
}

TEST(TrainConfig, BadValuesAndUnknownKeysNameTheKey) {
  std::string text = core::ReadTextFile(kilonas::testing::SourcePath("configs/supernet_fmnist_quick.json")).value();
  std::string bad = text;
  bad.replace(bad.find("\"batch_size\": 128"), 17, "\"batch_size\": 0");
  EXPECT_NE(ParseTrainConfig(bad, "c.json").error().message.find("c.json: key 'batch_size'"), std::string::npos);
  bad = text;
  bad.replace(bad.find("\"kernel\"]"), 9, "\"kernels\"]");
  EXPECT_NE(ParseTrainConfig(bad, "c.json").error().message.find("unknown dimension 'kernels'"), std::string::npos);
  bad = text;
  bad.replace(bad.find("\"seed\": 1"), 9, "\"seed\": 1, \"sead\": 2");
  EXPECT_EQ(ParseTrainConfig(bad, "c.json").error().message, "c.json: unknown key 'sead'");
  bad = text;
  bad.replace(bad.find("\"epochs\""), 8, "\"largest_at_max_resolution\": 1, \"epochs\"");
  EXPECT_NE(ParseTrainConfig(bad, "c.json").error().message.find("largest_at_max_resolution"), std::string::npos);
  bad = text;
  bad.replace(bad.find("\"epochs\""), 8, "\"largest_at_max_resolution\": true, \"epochs\"");
  core::Result<TrainConfig> flagged = ParseTrainConfig(bad, "c.json");
  ASSERT_TRUE(flagged.ok()) << flagged.error().message;
  EXPECT_TRUE(flagged.value().phases[0].largest_at_max_resolution);
  EXPECT_FALSE(flagged.value().phases[1].largest_at_max_resolution);
  bad = text;
  bad.replace(bad.find("\"space\": \"fmnist\""), 17, "\"space\": \"cifar\"");
  EXPECT_NE(ParseTrainConfig(bad, "c.json").error().message.find("c.json: key 'space': unknown search space 'cifar'"),
            std::string::npos)
      << ParseTrainConfig(bad, "c.json").error().message;
}

}  // namespace
}  // namespace kilonas::supernet
