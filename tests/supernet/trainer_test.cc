// Trainer: a killed and resumed run ends with exactly the weights of an uninterrupted one;
// config and checkpoint errors are clear.
#include "supernet/trainer.h"

#include "core/file_io.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

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
              {"shrink", 2, 0.02, {Elastic::kResolution, Elastic::kKernel, Elastic::kDepth, Elastic::kExpand, Elastic::kWidth}}};
  std::filesystem::remove_all(c.checkpoint_dir);
  return c;
}

TEST(Trainer, KilledAndResumedRunEqualsTheUninterruptedOne) {
  auto full = Trainer::Create(TinyConfig("train_full"), false);
  ASSERT_TRUE(full.ok()) << full.error().message;
  ASSERT_TRUE(full.value()->Run().ok());
  ASSERT_TRUE(full.value()->Done());

  const TrainConfig config = TinyConfig("train_resumed");
  {
    auto first = Trainer::Create(config, false);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first.value()->Run(2).ok());  // "killed" after the first epoch of the shrinking phase
    ASSERT_FALSE(first.value()->Done());
  }
  auto resumed = Trainer::Create(config, true);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  ASSERT_TRUE(resumed.value()->Run().ok());
  ASSERT_TRUE(resumed.value()->Done());
  EXPECT_EQ(resumed.value()->history().size(), 1u);  // only the remaining epoch ran

  auto expected = full.value()->supernet()->named_parameters();
  auto got = resumed.value()->supernet()->named_parameters();
  ASSERT_EQ(expected.size(), got.size());
  for (const auto& item : expected) {
    EXPECT_TRUE(torch::equal(item.value(), got[item.key()])) << item.key();
  }
}

bool SameWeights(Trainer& a, Trainer& b) {
  auto pa = a.supernet()->named_parameters();
  auto pb = b.supernet()->named_parameters();
  for (const auto& item : pa) {
    if (!torch::equal(item.value(), pb[item.key()])) return false;
  }
  return true;
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
  EXPECT_TRUE(SameWeights(*plain.value(), *flagged.value()));  // phase 1 is not flagged
  ASSERT_TRUE(plain.value()->Run().ok());
  ASSERT_TRUE(flagged.value()->Run().ok());
  EXPECT_FALSE(SameWeights(*plain.value(), *flagged.value()));

  TrainConfig resumed_config = flagged_config;
  resumed_config.checkpoint_dir = std::string(KILONAS_TEST_OUT) + "/train_flagged_resumed";
  std::filesystem::remove_all(resumed_config.checkpoint_dir);
  {
    auto first = Trainer::Create(resumed_config, false);
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(first.value()->Run(2).ok());
  }
  auto resumed = Trainer::Create(resumed_config, true);
  ASSERT_TRUE(resumed.ok()) << resumed.error().message;
  ASSERT_TRUE(resumed.value()->Run().ok());
  EXPECT_TRUE(SameWeights(*flagged.value(), *resumed.value()));
}

TEST(Trainer, ResumeWithoutACheckpointIsAnError) {
  auto r = Trainer::Create(TinyConfig("train_none"), true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("no checkpoint to resume from"), std::string::npos);
}

TEST(Trainer, TruncatedCheckpointIsAnErrorNamingIt) {
  const TrainConfig config = TinyConfig("train_truncated");
  std::filesystem::create_directories(config.checkpoint_dir);
  std::ofstream(config.checkpoint_dir + "/checkpoint.pt") << "PK\x03\x04 not really";
  auto r = Trainer::Create(config, true);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("checkpoint.pt: cannot load checkpoint"), std::string::npos) << r.error().message;
}

TEST(TrainConfig, CommittedConfigsLoad) {
  for (const char* path : {"configs/supernet_fmnist_quick.json", "configs/supernet_fmnist_full.json"}) {
    core::Result<TrainConfig> c = LoadTrainConfig(path);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(c.value().space, "fmnist");
    EXPECT_TRUE(c.value().phases.back().Has(Elastic::kExpand));
  }
}

TEST(TrainConfig, BadValuesAndUnknownKeysNameTheKey) {
  std::string text = core::ReadTextFile("configs/supernet_fmnist_quick.json").value();
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
}

}  // namespace
}  // namespace kilonas::supernet
