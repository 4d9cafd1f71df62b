#include <gtest/gtest.h>

#include "core/ofa_space.h"

namespace kilonas::core {
namespace {

SubnetConfig Example() {
  SubnetConfig c;
  c.space = "mcunet-imagenet";
  c.resolution = 160;
  c.width_mult = 0.5;
  c.stages = {{{3, 6}, {5, 4}}, {{7, 3}, {3, 6}, {5, 6}}, {{3, 4}, {3, 4}, {3, 4}, {7, 6}},
              {{5, 3}, {5, 3}}, {{3, 6}, {7, 4}, {5, 3}}, {{7, 6}}};
  return c;
}

std::string ErrorOf(const std::string& text) {
  Result<SubnetConfig> r = ParseSubnetConfig(text, "cfg.json");
  return r.ok() ? "" : r.error().message;
}

TEST(SubnetConfig, JsonRoundTripIsLossless) {
  const SubnetConfig c = Example();
  Result<SubnetConfig> parsed = ParseSubnetConfig(SubnetConfigToJson(c), "mem");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value(), c);
}

TEST(SubnetConfig, LargestSubnetValidatesAndBuilds) {
  const OfaSpace space = McunetImageNetSpace();
  const SubnetConfig c = LargestSubnet(space);
  EXPECT_TRUE(ValidateSubnet(space, c).ok());
  Result<Graph> g = BuildSubnetGraph(space, c);
  ASSERT_TRUE(g.ok()) << g.error().message;
  EXPECT_EQ(g.value().tensor(g.value().input()).shape, (Shape{224, 224, 3}));
}

TEST(SubnetConfig, BlockCountOfGraphFollowsStageDepths) {
  const OfaSpace space = McunetImageNetSpace();
  Result<NetSpec> spec = ToNetSpec(space, Example());
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec.value().blocks.size(), 1u + 2 + 3 + 4 + 2 + 3 + 1);
  EXPECT_EQ(spec.value().blocks[1].kernel, 3);
  EXPECT_EQ(spec.value().blocks[1].stride, 2);
  EXPECT_EQ(spec.value().blocks[2].stride, 1);
  EXPECT_EQ(spec.value().blocks[1].out_channels, 16);  // 24 x 0.5 = 12 -> 16
}

TEST(SubnetConfigValidation, NamesStageBlockAndAllowedKernels) {
  SubnetConfig c = Example();
  c.stages[2][1].kernel = 4;
  const Status s = ValidateSubnet(McunetImageNetSpace(), c);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("stage 2 block 1: kernel 4 not in {3,5,7}"), std::string::npos) << s.message();
}

TEST(SubnetConfigValidation, RejectsDepthExpandWidthAndResolutionOutsideTheSpace) {
  const OfaSpace space = McunetImageNetSpace();
  SubnetConfig c = Example();
  c.stages[0].push_back({3, 3});
  c.stages[0].push_back({3, 3});
  c.stages[0].push_back({3, 3});
  EXPECT_NE(ValidateSubnet(space, c).message().find("depth 5"), std::string::npos);
  c = Example();
  c.stages[1][0].expand = 5;
  EXPECT_NE(ValidateSubnet(space, c).message().find("expand 5"), std::string::npos);
  c = Example();
  c.width_mult = 0.55;
  EXPECT_NE(ValidateSubnet(space, c).message().find("width_mult"), std::string::npos);
  c = Example();
  c.resolution = 150;
  EXPECT_NE(ValidateSubnet(space, c).message().find("resolution 150"), std::string::npos);
  c = Example();
  c.stages.pop_back();
  EXPECT_NE(ValidateSubnet(space, c).message().find("5 stages"), std::string::npos);
}

TEST(SubnetConfigJson, MalformedJsonNamesTheFile) {
  const std::string e = ErrorOf("{\"schema_version\": 1,");
  EXPECT_NE(e.find("cfg.json: malformed JSON"), std::string::npos) << e;
}

TEST(SubnetConfigJson, UnknownKeyIsRejectedWithItsPath) {
  std::string text = SubnetConfigToJson(Example());
  text.replace(text.find("\"kernel\": 3"), 11, "\"kernel\": 3, \"kernal\": 3");
  const std::string e = ErrorOf(text);
  EXPECT_NE(e.find("unknown key 'stages[0][0].kernal'"), std::string::npos) << e;
}

TEST(SubnetConfigJson, WrongTypeAndMissingKeyAreNamed) {
  std::string text = SubnetConfigToJson(Example());
  text.replace(text.find("\"resolution\": 160"), 17, "\"resolution\": \"160\"");
  EXPECT_NE(ErrorOf(text).find("key 'resolution': expected an integer, got string"), std::string::npos);
  EXPECT_NE(ErrorOf("{\"schema_version\": 1}").find("key 'space': missing"), std::string::npos);
}

TEST(SubnetConfigJson, RejectsOtherSchemaVersionsAndUnknownSpaces) {
  std::string text = SubnetConfigToJson(Example());
  std::string v2 = text;
  v2.replace(v2.find("\"schema_version\": 1"), 19, "\"schema_version\": 2");
  EXPECT_NE(ErrorOf(v2).find("schema_version"), std::string::npos);
  std::string space = text;
  space.replace(space.find("mcunet-imagenet"), 15, "cifar");
  EXPECT_NE(ErrorOf(space).find("unknown search space 'cifar'"), std::string::npos);
}

TEST(SubnetConfigJson, InvalidValuesNameTheFile) {
  std::string text = SubnetConfigToJson(Example());
  text.replace(text.find("\"kernel\": 3"), 11, "\"kernel\": 9");
  const std::string e = ErrorOf(text);
  EXPECT_EQ(e.rfind("cfg.json: ", 0), 0u) << e;
  EXPECT_NE(e.find("kernel 9"), std::string::npos) << e;
}

TEST(SubnetConfigJson, MissingFileIsAnErrorNamingIt) {
  Result<SubnetConfig> r = LoadSubnetConfig("/nonexistent/subnet.json");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("/nonexistent/subnet.json"), std::string::npos);
}

}  // namespace
}  // namespace kilonas::core

namespace kilonas::core {
namespace {

TEST(FashionMnistSpace, LargestSubnetIsSmallEnoughToTrainOnACpu) {
  const OfaSpace space = FashionMnistSpace();
  const Graph g = BuildSubnetGraph(space, LargestSubnet(space)).value();
  EXPECT_EQ(g.tensor(g.input()).shape, (Shape{32, 32, 1}));
  EXPECT_EQ(g.tensor(g.output()).shape, (Shape{1, 1, 10}));
  EXPECT_LT(g.TotalMacs(), 25'000'000);
  EXPECT_GT(g.TotalMacs(), 5'000'000);
}

}  // namespace
}  // namespace kilonas::core
