// Model file: lossless round trip, and every truncation and corruption is a clear error.
#include "engine/model_file.h"

#include <gtest/gtest.h>

#include <random>

#include "core/net_spec.h"
#include "engine/interpreter.h"
#include "engine/quantizer.h"

namespace kilonas::engine {
namespace {

Model SmallModel(memory_planner::PlanMode mode = memory_planner::PlanMode::kInPlace) {
  core::NetSpec spec;
  spec.name = "file";
  spec.resolution = 12;
  spec.in_channels = 1;
  spec.num_classes = 3;
  spec.stem_channels = 8;
  spec.blocks = {{8, 3, 1, 1}, {16, 5, 3, 2}};
  spec.head_channels = 16;
  std::mt19937 rng(3);
  const core::FloatModel fm = core::RandomFloatModel(core::BuildGraph(spec).value(), rng);
  std::vector<float> image(144);
  for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
  ExecutionConfig execution;
  execution.mode = mode;
  if (mode == memory_planner::PlanMode::kPatch) {
    execution.patches_per_side = 2;
    execution.split_op = 4;  // after b0.add
  }
  return Quantize(fm, {image}, execution).value();
}

TEST(ModelFile, RoundTripPreservesEveryBit) {
  for (auto mode : {memory_planner::PlanMode::kInPlace, memory_planner::PlanMode::kPatch}) {
    const Model model = SmallModel(mode);
    const std::string bytes = SerializeModel(model);
    core::Result<Model> loaded = ParseModel(bytes, "m.kmodel");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message;
    EXPECT_EQ(SerializeModel(loaded.value()), bytes);
    const std::vector<int8_t> input(144, 17);
    EXPECT_EQ(Interpreter::Create(loaded.value()).value().Invoke(input).value(),
              Interpreter::Create(model).value().Invoke(input).value());
  }
}

TEST(ModelFile, EveryTruncationIsAnErrorNamingTheFile) {
  const std::string bytes = SerializeModel(SmallModel());
  for (size_t size = 0; size < bytes.size(); size += 1 + size / 50) {
    core::Result<Model> r = ParseModel(bytes.substr(0, size), "cut.kmodel");
    ASSERT_FALSE(r.ok()) << size;
    EXPECT_EQ(r.error().message.rfind("cut.kmodel: ", 0), 0u) << r.error().message;
  }
  EXPECT_NE(ParseModel(bytes.substr(0, 100), "cut.kmodel").error().message.find("truncated"), std::string::npos);
}

TEST(ModelFile, FlippedBitsAreCaughtByTheChecksums) {
  const std::string bytes = SerializeModel(SmallModel());
  std::mt19937 rng(5);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bad = bytes;
    const size_t at = std::uniform_int_distribution<size_t>(32, bad.size() - 1)(rng);
    bad[at] = static_cast<char>(bad[at] ^ (1 << (trial % 8)));
    core::Result<Model> r = ParseModel(bad, "flip.kmodel");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("checksum mismatch"), std::string::npos) << r.error().message;
  }
}

TEST(ModelFile, BadMagicVersionAndTrailingBytesAreNamed) {
  std::string bytes = SerializeModel(SmallModel());
  std::string magic = bytes;
  magic[0] = 'X';
  EXPECT_NE(ParseModel(magic, "f").error().message.find("bad magic"), std::string::npos);
  std::string version = bytes;
  version[8] = 9;
  EXPECT_NE(ParseModel(version, "f").error().message.find("version 9"), std::string::npos);
  EXPECT_NE(ParseModel(bytes + "x", "f").error().message.find("trailing bytes"), std::string::npos);
  EXPECT_NE(LoadModel("/nonexistent.kmodel").error().message.find("cannot open"), std::string::npos);
}

// A header whose checksum is valid but whose content is hostile (the fuzzer's job, here by hand):
// the strict parser and model validation must reject it without crashing.
TEST(ModelFile, ConsistentChecksumsDoNotLetBadContentThrough) {
  const Model good = SmallModel();
  Model bad = good;
  bad.constants[0].shift[0] = 40;  // would be undefined behaviour in the kernels
  core::Result<Model> r = ParseModel(SerializeModel(bad), "bad.kmodel");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("requantization parameters out of range"), std::string::npos) << r.error().message;
  bad = good;
  bad.constants[0].bias[0] = INT32_MAX - 10;  // found by the fuzzer: accumulator overflow
  r = ParseModel(SerializeModel(bad), "bad.kmodel");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("overflow the accumulator"), std::string::npos) << r.error().message;
  bad = good;
  bad.constants[0].bias[0] = 1 << 30;  // fits int32, but the optimized kernels double accumulators
  r = ParseModel(SerializeModel(bad), "bad.kmodel");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("below 2^30"), std::string::npos) << r.error().message;
  bad = good;
  bad.graph.mutable_tensor(1).shape.c = 9;  // shapes no longer consistent
  EXPECT_FALSE(ParseModel(SerializeModel(bad), "bad.kmodel").ok());
}

// The input normalisation travels with the model (nas_run feeds data set images by it); a file
// without it still loads, and one with a value per channel missing or a zero std is refused.
TEST(ModelFile, InputNormalisationRoundTripsAndIsChecked) {
  Model model = SmallModel();
  EXPECT_TRUE(ParseModel(SerializeModel(model), "old.kmodel").value().input_mean.empty());
  const int channels = model.graph.tensor(model.graph.input()).shape.c;
  model.input_mean.assign(channels, 0.25f);
  model.input_std.assign(channels, 0.5f);
  core::Result<Model> loaded = ParseModel(SerializeModel(model), "m.kmodel");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded.value().input_mean, model.input_mean);
  EXPECT_EQ(loaded.value().input_std, model.input_std);
  Model bad = model;
  bad.input_mean.push_back(0.1f);
  core::Result<Model> r = ParseModel(SerializeModel(bad), "bad.kmodel");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("input_normalization.mean"), std::string::npos) << r.error().message;
  bad = model;
  bad.input_std[0] = 0;
  r = ParseModel(SerializeModel(bad), "bad.kmodel");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("must be > 0"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace kilonas::engine
