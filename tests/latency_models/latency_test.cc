#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "core/file_io.h"
#include "core/hw_profile.h"
#include "core/ofa_space.h"
#include "core/plain_cnn.h"
#include "core/reference_nets.h"
#include "latency_models/predictor.h"
#include "latency_models/space_keys.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/source_path.h"

namespace kilonas::latency_models {
namespace {

using memory_planner::PlanMode;

constexpr PlanMode kModes[] = {PlanMode::kPerLayer, PlanMode::kInPlace, PlanMode::kPatch};

std::vector<OpKey> CallsOf(const core::Graph& g, PlanMode mode) {
  return ExecutedCalls(g, memory_planner::PlanDeployed(g, mode));
}

TEST(OpKey, TextFormNamesTheKernelVariantAndRoundTrips) {
  const core::Graph g = core::BuildGraph(core::MobileNetV2(0.35, 96, 10)).value();
  EXPECT_EQ(CallsOf(g, PlanMode::kPerLayer)[0].ToString(), "conv2d k3 s2 96x96x3 -> 48x48x16 ref");
  EXPECT_EQ(CallsOf(g, PlanMode::kPerLayer)[1].ToString(), "depthwise_conv2d k3 s1 48x48x16 -> 48x48x16 ref");
  const std::vector<OpKey> in_place = CallsOf(g, PlanMode::kInPlace);
  EXPECT_EQ(in_place[0].ToString(), "conv2d k3 s2 96x96x3 -> 48x48x16");
  EXPECT_EQ(in_place[1].ToString(), "depthwise_conv2d k3 s1 48x48x16 -> 48x48x16 in_place");
  EXPECT_TRUE(std::any_of(in_place.begin(), in_place.end(),
                          [](const OpKey& k) { return k.ToString().find("fused_add") != std::string::npos; }));
  for (PlanMode mode : kModes) {
    for (const OpKey& key : SpaceCallKeys(core::FashionMnistSpace(), mode, 50)) {
      core::Result<OpKey> parsed = ParseOpKey(key.ToString());
      ASSERT_TRUE(parsed.ok()) << key.ToString();
      EXPECT_EQ(parsed.value(), key);
      EXPECT_EQ(OpKeyHash()(parsed.value()), OpKeyHash()(key));
    }
  }
}

TEST(OpKey, MalformedTextIsAnError) {
  for (const char* bad :
       {"", "conv2d", "relu k1 s1 1x1x1 -> 1x1x1", "conv2d k3 s2 8x8x3 -> 4x4", "conv2d k3 s2 8x8x3 -> 4x4x8 x",
        "conv2d k3 s1 8x8x3 -> 8x8x8 in_place", "depthwise_conv2d k3 s1 8x8x8 -> 8x8x8 fused_add",
        "add k1 s1 8x8x8 -> 8x8x8 ref ref", "pointwise_conv2d k1 s1 8x8x8 -> 8x8x8 fused_add ref"}) {
    EXPECT_FALSE(ParseOpKey(bad).ok()) << bad;
  }
  EXPECT_TRUE(ParseOpKey("pointwise_conv2d k1 s1 8x8x8 -> 8x8x8 ref fused_add").ok());
}

TEST(ExecutedCalls, PatchStageOpsRunOncePerPatchAtPatchShapesAndFusedAddsAreFree) {
  const core::Graph g = core::BuildGraph(core::MobileNetV2(0.35, 96, 10)).value();
  const memory_planner::MemoryPlan plan = memory_planner::PlanPatch(g, {3, 4}).value();
  const std::vector<OpKey> calls = ExecutedCalls(g, plan);
  int fused = 0;
  for (bool f : plan.op_fused) fused += f;
  int stage_unfused = 0;
  for (int i = 0; i < 4; ++i) stage_unfused += !plan.op_fused[i];
  EXPECT_EQ(calls.size(), g.ops().size() - fused + 8 * stage_unfused);  // 9 patches instead of 1
  EXPECT_LT(calls[0].out.h, 48);  // the stem computes one patch of its output per call
  EXPECT_EQ(calls[0].out.h, plan.patch->regions[0][g.op(0).output].rows.size());
  const std::vector<OpKey> whole = ExecutedCalls(g, memory_planner::PlanInPlace(g));
  EXPECT_EQ(whole.size(), g.ops().size() - fused);
}

TEST(SpaceCallKeys, EveryWholeTensorCallOfRandomSubnetsIsEnumerated) {
  const core::OfaSpace space = core::FashionMnistSpace();
  for (PlanMode mode : {PlanMode::kPerLayer, PlanMode::kInPlace}) {
    const std::vector<OpKey> keys = SpaceCallKeys(space, mode);
    std::mt19937 rng(1);
    for (int trial = 0; trial < 60; ++trial) {
      const core::Graph g = core::BuildSubnetGraph(space, core::SampleSubnet(space, rng)).value();
      for (const OpKey& key : CallsOf(g, mode)) {
        EXPECT_TRUE(std::binary_search(keys.begin(), keys.end(), key)) << key.ToString();
      }
    }
  }
}

// A kernel's cost per MAC, per output element, per output pixel, per output row and channel, per
// channel and per call: what the fallback model's features span.
double SyntheticCycles(const OpKey& key) {
  return 3.0 * KeyMacs(key) + 2.0 * key.out.Elements() + 5.0 * key.out.h * key.out.w + 7.0 * key.out.h * key.out.c +
         40.0 * key.out.c + 100;
}

LatencyLut SyntheticLut() {
  // SyntheticCycles on the fmnist space's pointwise keys only.
  LatencyLut lut;
  lut.mcu = "test";
  // As a board measured them (DWT cycles; instructions near them).
  lut.provenance = {"0", "dwt", "2026-01-01T00:00:00Z", "cortex-m7", "test", 1.0, 100.0, ""};
  for (const OpKey& key : SpaceCallKeys(core::FashionMnistSpace(), PlanMode::kInPlace)) {
    if (key.kind != core::OpKind::kPointwiseConv2d || key.writes_over) continue;
    lut.entries[key] = {static_cast<uint64_t>(std::llround(SyntheticCycles(key))), SyntheticCycles(key)};
  }
  return lut;
}

TEST(LatencyPredictor, FallbackModelRecoversPerMacOutputPixelRowChannelAndCallCostsAndCountsMisses) {
  const LatencyPredictor predictor(SyntheticLut());
  const OpKey unseen{core::OpKind::kPointwiseConv2d, 1, 1, {7, 7, 40}, {7, 7, 200}};
  bool miss = false;
  const double cycles = predictor.Cycles(unseen, &miss);
  EXPECT_TRUE(miss);
  EXPECT_NEAR(cycles, SyntheticCycles(unseen), 1.0);
  const OpKey seen = predictor.lut().entries.begin()->first;
  EXPECT_DOUBLE_EQ(predictor.Cycles(seen, &miss), predictor.lut().entries.begin()->second.cycles);
  EXPECT_FALSE(miss);
  // A whole network: every non-pointwise call (and unseen pointwise) is a miss.
  const core::Graph g =
      core::BuildSubnetGraph(core::FashionMnistSpace(), core::LargestSubnet(core::FashionMnistSpace())).value();
  const memory_planner::MemoryPlan plan = memory_planner::PlanInPlace(g);
  const LatencyPrediction p = predictor.Predict(g, plan);
  EXPECT_EQ(p.calls, static_cast<int>(ExecutedCalls(g, plan).size()));
  EXPECT_GT(p.misses, 0);
  EXPECT_NEAR(p.ms, p.cycles / (100.0 * 1e3), 1e-9);
}

TEST(LatencyPredictor, PatchPlansCostTheirRecomputedHalosAndCalls) {
  const core::OfaSpace space = core::FashionMnistSpace();
  const core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/stm32f746.json")).value();
  const LatencyPredictor predictor(LoadLutFor(hw).value());
  std::mt19937 rng(4);
  int patched = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const core::Graph g = core::BuildSubnetGraph(space, core::SampleSubnet(space, rng)).value();
    const memory_planner::MemoryPlan patch = memory_planner::PlanDeployed(g, PlanMode::kPatch);
    if (!patch.patch) continue;
    ++patched;
    EXPECT_GT(predictor.Predict(g, patch).cycles, predictor.Predict(g, memory_planner::PlanInPlace(g)).cycles);
  }
  EXPECT_GT(patched, 5);
}

TEST(CommittedLuts, PriceEveryModeOfTheFashionMnistSpaceWithFewMisses) {
  const core::OfaSpace space = core::FashionMnistSpace();
  for (const char* mcu : {"stm32f746", "stm32f412", "stm32h743", "nrf52840"}) {
    const core::HwProfile hw =
        core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/") + mcu + ".json").value();
    core::Result<LatencyLut> lut = LoadLutFor(hw);
    ASSERT_TRUE(lut.ok()) << lut.error().message;
    EXPECT_EQ(lut.value().provenance.method, "qemu-icount");
    for (const auto& [key, entry] : lut.value().entries) EXPECT_GT(entry.instructions, 0u) << key.ToString();
    const LatencyPredictor predictor(lut.value());
    for (PlanMode mode : kModes) {
      std::mt19937 rng(7);
      int calls = 0, misses = 0;
      for (int trial = 0; trial < 30; ++trial) {
        const core::Graph g = core::BuildSubnetGraph(space, core::SampleSubnet(space, rng)).value();
        const LatencyPrediction p = predictor.Predict(g, memory_planner::PlanDeployed(g, mode));
        calls += p.calls;
        misses += p.misses;
      }
      // Whole-tensor modes are enumerated completely; patch calls are sampled (space_keys.h).
      EXPECT_LE(misses * 100, mode == PlanMode::kPatch ? calls : 0) << mcu << " " << memory_planner::PlanModeName(mode);
    }
  }
}

// nas_search --baseline cnn picks a plain CNN of core::kPlainCnnWidths and the space's
// resolutions: the committed LUTs price every call of every one in every mode, without the
// fallback model (which overestimated such a network by 132%).
TEST(CommittedLuts, PriceThePlainCnnBaselineFamilyWithoutMisses) {
  const core::OfaSpace space = core::FashionMnistSpace();
  for (const char* mcu : {"stm32f746", "stm32f412", "stm32h743", "nrf52840"}) {
    const core::HwProfile hw =
        core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/") + mcu + ".json").value();
    const LatencyPredictor predictor(LoadLutFor(hw).value());
    for (double width : core::kPlainCnnWidths) {
      for (int resolution : space.resolution_choices) {
        const core::Graph g =
            core::BuildPlainCnn(core::ScaledPlainCnn(space.in_channels, space.num_classes, width, resolution)).value();
        for (PlanMode mode : kModes) {
          const LatencyPrediction p = predictor.Predict(g, memory_planner::PlanDeployed(g, mode));
          EXPECT_EQ(p.misses, 0) << mcu << " width " << width << " r" << resolution << " "
                                 << memory_planner::PlanModeName(mode);
        }
      }
    }
  }
}

TEST(LutChecks, AnEmptyLutOrOneOfAnotherMcuCoreOrClockIsAnError) {
  const core::HwProfile f746 = core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/stm32f746.json")).value();
  const LatencyLut f412 = LoadLut(kilonas::testing::SourcePath("latency_models/luts/stm32f412.json")).value();
  const std::string other = CheckLutMatches(f412, f746, "f412.json").message();
  EXPECT_NE(other.find("f412.json: measured for mcu 'stm32f412', the profile is 'stm32f746'"), std::string::npos)
      << other;
  LatencyLut lut = LoadLut(kilonas::testing::SourcePath("latency_models/luts/stm32f746.json")).value();
  EXPECT_TRUE(CheckLutMatches(lut, f746, "x").ok());
  lut.provenance.clock_mhz = 100;
  EXPECT_NE(CheckLutMatches(lut, f746, "x").message().find("clock"), std::string::npos);
  lut.provenance.clock_mhz = f746.clock_mhz;
  lut.provenance.core = "cortex-m4";
  EXPECT_NE(CheckLutMatches(lut, f746, "x").message().find("core"), std::string::npos);
  lut.provenance.core = f746.core;
  lut.entries.clear();
  EXPECT_NE(CheckLutMatches(lut, f746, "x").message().find("no entries"), std::string::npos);
  core::HwProfile missing = f746;
  missing.latency_lut = "";
  EXPECT_NE(LoadLutFor(missing).error().message.find("key 'latency_lut': latency LUT: empty path"), std::string::npos);
}

TEST(LutFile, RoundTripAndClearErrors) {
  const LatencyLut lut = SyntheticLut();
  const std::string json = LutToJson(lut);
  core::Result<LatencyLut> parsed = ParseLut(json, "lut.json");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed.value().entries.size(), lut.entries.size());
  EXPECT_EQ(LutToJson(parsed.value()), json);

  auto error = [](std::string text) {
    core::Result<LatencyLut> r = ParseLut(text, "lut.json");
    return r.ok() ? std::string() : r.error().message;
  };
  std::string bad = json;
  bad.replace(bad.find("\"dwt\""), 5, "\"stopwatch\"");
  EXPECT_NE(error(bad).find("lut.json: key 'provenance.method'"), std::string::npos) << error(bad);
  bad = json;
  bad.replace(bad.find("pointwise_conv2d k1"), 19, "pointwise_conv2d kX");
  EXPECT_NE(error(bad).find("bad op key"), std::string::npos) << error(bad);
  bad = json;
  bad.replace(bad.find("\"cycles\""), 8, "\"cycels\"");
  EXPECT_NE(error(bad).find("missing"), std::string::npos) << error(bad);
  bad = json;
  const size_t cycles = bad.find("\"cycles\": ") + 10;
  bad.replace(cycles, bad.find(',', cycles) - cycles, "0.0");
  EXPECT_NE(error(bad).find("must be positive"), std::string::npos) << error(bad);
  bad = json;  // a negative instruction count
  const size_t instructions = bad.find("\"instructions\": ") + 16;
  bad.replace(instructions, bad.find(',', instructions) - instructions, "-5");
  EXPECT_NE(error(bad).find(".instructions': must be positive"), std::string::npos) << error(bad);
  bad = json;  // an entry at 1 cycle (ms to match): not a measurement of a kernel call
  bad.replace(cycles, bad.find(',', cycles) - cycles, "1.0");
  const size_t ms = bad.find("\"ms\": ", cycles) + 6;
  bad.replace(ms, bad.find_first_of(",}\n", ms) - ms, "1e-05");
  EXPECT_NE(error(bad).find("more than 8 times off instructions x cpi"), std::string::npos) << error(bad);
  bad = json;  // a qemu-icount LUT's cycles are its instructions x cpi: twice that is not
  const double doubled = 2 * std::stod(bad.substr(cycles, bad.find(',', cycles) - cycles));
  bad.replace(cycles, bad.find(',', cycles) - cycles, std::to_string(doubled));
  const size_t doubled_ms = bad.find("\"ms\": ", cycles) + 6;
  bad.replace(doubled_ms, bad.find_first_of(",}\n", doubled_ms) - doubled_ms, std::to_string(doubled / 1e5));
  EXPECT_EQ(error(bad), "");  // as a board's DWT count it is plausible
  bad.replace(bad.find("\"dwt\""), 5, "\"qemu-icount\"");
  EXPECT_NE(error(bad).find("does not equal instructions x cpi"), std::string::npos) << error(bad);
  EXPECT_NE(error(json.substr(0, json.size() / 2)).find("lut.json: malformed JSON"), std::string::npos);
  EXPECT_NE(LoadLut("latency_models/luts/nope.json").error().message.find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace kilonas::latency_models
