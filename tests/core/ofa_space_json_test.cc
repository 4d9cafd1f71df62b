#include <gtest/gtest.h>

#include <random>

#include "core/graph_json.h"
#include "core/ofa_space.h"
#include "tests/support/source_path.h"

namespace kilonas::core {
namespace {

// The two spaces as the C++ code defined them before they became configs/spaces/*.json: the
// files must describe exactly these, so that every existing subnet, LUT and checkpoint keeps its
// meaning.
OfaSpace FormerFashionMnistSpace() {
  OfaSpace space;
  space.name = "fmnist";
  space.in_channels = 1;
  space.num_classes = 10;
  space.stem_channels = 16;
  space.stem_stride = 2;
  space.first_block_channels = 8;
  const std::vector<int> depths = {2, 3, 4};
  space.stages = {{16, 1, depths}, {24, 2, depths}, {40, 2, depths}, {48, 1, depths}};
  space.head_channels = 128;
  space.width_choices = {0.5, 0.75, 1.0};
  space.resolution_choices = {16, 20, 24, 28, 32};
  return space;
}

OfaSpace FormerMcunetImageNetSpace() {
  OfaSpace space;
  space.name = "mcunet-imagenet";
  const std::vector<int> depths = {2, 3, 4};
  space.stages = {{24, 2, depths}, {40, 2, depths}, {80, 2, depths}, {96, 1, depths}, {192, 2, depths}, {320, 1, {1}}};
  space.width_choices = {0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0};
  for (int r = 48; r <= 224; r += 16) space.resolution_choices.push_back(r);
  return space;
}

void ExpectSameSpace(const OfaSpace& a, const OfaSpace& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.in_channels, b.in_channels);
  EXPECT_EQ(a.num_classes, b.num_classes);
  EXPECT_EQ(a.stem_channels, b.stem_channels);
  EXPECT_EQ(a.stem_stride, b.stem_stride);
  EXPECT_EQ(a.first_block_channels, b.first_block_channels);
  ASSERT_EQ(a.stages.size(), b.stages.size());
  for (size_t s = 0; s < a.stages.size(); ++s) {
    EXPECT_EQ(a.stages[s].channels, b.stages[s].channels) << "stage " << s;
    EXPECT_EQ(a.stages[s].stride, b.stages[s].stride) << "stage " << s;
    EXPECT_EQ(a.stages[s].depth_choices, b.stages[s].depth_choices) << "stage " << s;
  }
  EXPECT_EQ(a.head_channels, b.head_channels);
  EXPECT_EQ(a.kernel_choices, b.kernel_choices);
  EXPECT_EQ(a.expand_choices, b.expand_choices);
  EXPECT_EQ(a.width_choices, b.width_choices);
  EXPECT_EQ(a.resolution_choices, b.resolution_choices);
  EXPECT_EQ(a.rounding, b.rounding);
}

TEST(SpaceFiles, BuiltInSpacesAreTheFormerDefinitionsAndBuildTheSameGraphs) {
  for (const auto& [name, former] :
       {std::pair{"fmnist", FormerFashionMnistSpace()}, std::pair{"mcunet-imagenet", FormerMcunetImageNetSpace()}}) {
    const Result<OfaSpace> space = BuiltinSpace(name);
    ASSERT_TRUE(space.ok()) << space.error().message;
    ExpectSameSpace(space.value(), former);
    std::mt19937 rng(42);
    std::vector<SubnetConfig> configs = {LargestSubnet(former), SmallestSubnet(former)};
    for (int i = 0; i < 50; ++i) configs.push_back(SampleSubnet(former, rng));
    for (const SubnetConfig& config : configs) {
      const Result<Graph> now = BuildSubnetGraph(space.value(), config), before = BuildSubnetGraph(former, config);
      ASSERT_TRUE(now.ok() && before.ok());
      EXPECT_EQ(GraphToJson(now.value()).dump(), GraphToJson(before.value()).dump()) << name;
    }
  }
}

TEST(SpaceFiles, APathLoadsTheFileAndANameTheBuiltIn) {
  const Result<OfaSpace> by_path = ResolveSpace(kilonas::testing::SourcePath("configs/spaces/fmnist.json"));
  ASSERT_TRUE(by_path.ok()) << by_path.error().message;
  ExpectSameSpace(by_path.value(), FormerFashionMnistSpace());
  const Result<OfaSpace> unknown = ResolveSpace("fmnist2");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown search space 'fmnist2'; built-in: "), std::string::npos)
      << unknown.error().message;
  const Result<OfaSpace> missing = ResolveSpace("configs/spaces/none.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("configs/spaces/none.json: cannot open file"), std::string::npos)
      << missing.error().message;
}

// rgb32 is fmnist for colour images: the same stages and choices, 3 input channels, and no class
// count of its own (the trainer takes the data set's; 0 until then).
TEST(SpaceFiles, Rgb32IsTheFashionMnistSpaceWithThreeChannelsAndTheDataSetsClasses) {
  const Result<OfaSpace> rgb = BuiltinSpace("rgb32");
  ASSERT_TRUE(rgb.ok()) << rgb.error().message;
  EXPECT_EQ(rgb.value().in_channels, 3);
  EXPECT_EQ(rgb.value().num_classes, 0);
  OfaSpace expected = FormerFashionMnistSpace();
  expected.name = "rgb32";
  expected.in_channels = 3;
  expected.num_classes = 0;
  ExpectSameSpace(rgb.value(), expected);
}

// One edit of a valid space per line: each must be refused naming the key.
// `n` stride-1 stages of one block each, comma-terminated: prepended to a space's stages.
std::string StagesOfDepthOne(int n) {
  std::string stages;
  for (int i = 0; i < n; ++i) stages += R"({"channels": 16, "stride": 1, "depth_choices": [1]}, )";
  return stages;
}

TEST(SpaceFiles, EveryBadValueIsRefusedNamingItsKey) {
  const std::string valid = R"({"schema_version": 1, "name": "tiny", "in_channels": 3, "num_classes": 4,
    "stem": {"channels": 8, "stride": 2}, "first_block_channels": 8,
    "stages": [{"channels": 16, "stride": 2, "depth_choices": [1, 2]}], "head_channels": 32,
    "kernel_choices": [3, 5], "expand_choices": [3, 6], "width_choices": [0.5, 1.0],
    "resolution_choices": [32, 48], "channel_rounding": "nearest"})";
  ASSERT_TRUE(ParseOfaSpace(valid, "tiny.json").ok()) << ParseOfaSpace(valid, "tiny.json").error().message;
  const std::vector<std::pair<std::pair<std::string, std::string>, std::string>> edits = {
      {{"\"in_channels\": 3", "\"in_channels\": 2"}, "key 'in_channels': must be 1 (grayscale) or 3"},
      {{"\"num_classes\": 4", "\"num_classes\": 1"}, "key 'num_classes'"},
      {{"\"stride\": 2}, \"first", "\"stride\": 3}, \"first"}, "key 'stem.stride'"},
      {{"\"depth_choices\": [1, 2]", "\"depth_choices\": []"}, "key 'stages[0].depth_choices': needs at least one"},
      {{"\"depth_choices\": [1, 2]", "\"depth_choices\": [2, 1]"},
       "key 'stages[0].depth_choices': choices must be ascending"},
      {{"\"kernel_choices\": [3, 5]", "\"kernel_choices\": [3, 4]"}, "key 'kernel_choices': every choice must be odd"},
      {{"\"width_choices\": [0.5, 1.0]", "\"width_choices\": [0.5, \"1\"]"}, "key 'width_choices': expected numbers"},
      {{"\"resolution_choices\": [32, 48]", "\"resolution_choices\": [4, 48]"}, "key 'resolution_choices'"},
      {{"\"nearest\"", "\"down\""}, "key 'channel_rounding'"},
      {{"\"head_channels\": 32", "\"head_channels\": 32, \"heads\": 1"}, "unknown key 'heads'"},
      {{"\"stages\": [{\"channels\": 16, \"stride\": 2, \"depth_choices\": [1, 2]}]", "\"stages\": []"},
       "key 'stages'"},
      {{"\"name\": \"tiny\"", "\"name\": \"a/b\""}, "key 'name'"},
      {{"\"stages\": [", "\"stages\": [" + StagesOfDepthOne(1000)}, "key 'stages': 1001 stages, at most 16"},
  };
  for (const auto& [edit, expected] : edits) {
    std::string text = valid;
    const size_t at = text.find(edit.first);
    ASSERT_NE(at, std::string::npos) << edit.first;
    text.replace(at, edit.first.size(), edit.second);
    const Result<OfaSpace> space = ParseOfaSpace(text, "tiny.json");
    ASSERT_FALSE(space.ok()) << "accepted: " << edit.second;
    EXPECT_NE(space.error().message.find("tiny.json: "), std::string::npos) << space.error().message;
    EXPECT_NE(space.error().message.find(expected), std::string::npos) << space.error().message;
  }
}

}  // namespace
}  // namespace kilonas::core
