// Golden cases from published model statistics (MACs within 2%, parameters within 2%).
#include "core/reference_nets.h"

#include <gtest/gtest.h>

#include <cmath>

namespace kilonas::core {
namespace {

Graph Build(const std::string& name, int resolution) {
  Result<NetSpec> spec = ReferenceNet(name, resolution);
  EXPECT_TRUE(spec.ok()) << spec.error().message;
  Result<Graph> graph = BuildGraph(spec.value());
  EXPECT_TRUE(graph.ok()) << graph.error().message;
  return std::move(graph).value();
}

void ExpectWithin(double value, double published, double tolerance) {
  EXPECT_LE(std::abs(value - published) / published, tolerance) << value << " vs " << published;
}

TEST(ReferenceNets, MobileNetV2At224Has300MMacs) {
  const Graph g = Build("mbv2-w1.0", 224);
  ExpectWithin(static_cast<double>(g.TotalMacs()), 300e6, 0.02);
  ExpectWithin(static_cast<double>(g.TotalParams()), 3.47e6, 0.02);
}

TEST(ReferenceNets, McunetMbv2W035R144MatchesModelZoo) {
  const Graph g = Build("mbv2-w0.35", 144);
  ExpectWithin(static_cast<double>(g.TotalMacs()), 23.5e6, 0.02);
  ExpectWithin(static_cast<double>(g.TotalParams()), 0.75e6, 0.02);
}

TEST(ReferenceNets, McunetProxylessW03R176MatchesModelZoo) {
  const Graph g = Build("proxyless-w0.3", 176);
  ExpectWithin(static_cast<double>(g.TotalMacs()), 38.3e6, 0.02);
  ExpectWithin(static_cast<double>(g.TotalParams()), 0.75e6, 0.02);
}

TEST(ReferenceNets, ProxylessMobileAt224Has320MMacs) {
  const Graph g = Build("proxyless-w1.0", 224);
  ExpectWithin(static_cast<double>(g.TotalMacs()), 320e6, 0.02);
}

TEST(MakeDivisible, NearestNeverDropsBelowNinetyPercent) {
  EXPECT_EQ(MakeDivisible(11.2, 8, ChannelRounding::kNearest), 16);  // 8 < 0.9 * 11.2
  EXPECT_EQ(MakeDivisible(57.6, 8, ChannelRounding::kNearest), 56);
  EXPECT_EQ(MakeDivisible(448, 8, ChannelRounding::kNearest), 448);
  EXPECT_EQ(MakeDivisible(3, 8, ChannelRounding::kNearest), 8);
}

TEST(MakeDivisible, UpRoundsToTheNextMultiple) {
  EXPECT_EQ(MakeDivisible(57.6, 8, ChannelRounding::kUp), 64);
  EXPECT_EQ(MakeDivisible(24.0, 8, ChannelRounding::kUp), 24);
  EXPECT_EQ(MakeDivisible(4.8, 8, ChannelRounding::kUp), 8);
}

TEST(ReferenceNet, RejectsUnknownFamiliesAndBadWidths) {
  EXPECT_FALSE(ReferenceNet("resnet-w1.0", 224).ok());
  EXPECT_FALSE(ReferenceNet("mbv2", 224).ok());
  EXPECT_FALSE(ReferenceNet("mbv2-wabc", 224).ok());
  EXPECT_FALSE(ReferenceNet("mbv2-w0", 224).ok());
  EXPECT_FALSE(ReferenceNet("mbv2-w0.35", 4).ok());
  EXPECT_NE(ReferenceNet("mbv2-w1x", 224).error().message.find("bad width"), std::string::npos);
}

}  // namespace
}  // namespace kilonas::core
