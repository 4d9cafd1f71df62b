// Firmware == host: random quantized networks exported to C, cross-compiled for Cortex-M7 and
// Cortex-M4, run in qemu-system-arm; every output byte must equal the host interpreter's.
// Needs gcc-arm-none-eabi and qemu-system-arm (scripts/setup.sh installs them).
#include <gtest/gtest.h>

#include <random>

#include "core/hw_profile.h"
#include "core/net_spec.h"
#include "engine/export.h"
#include "engine/quantizer.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/random_graphs.h"
#include "tests/support/source_path.h"

namespace kilonas::engine {
namespace {

TEST(Firmware, OutputEqualsTheHostInterpreterOnRandomNetworksAndCores) {
  std::mt19937 rng(21);
  int trial = 0;
  for (const std::string& profile : {kilonas::testing::SourcePath("hw_profiles/stm32f746.json"),
                                     kilonas::testing::SourcePath("hw_profiles/stm32f412.json")}) {
    const core::HwProfile hw = core::LoadHwProfile(profile).value();
    for (int i = 0; i < 4; ++i, ++trial) {
      core::Graph g = testing::RandomGraph(rng);
      // Networks over the board's SRAM do not link (see the next test): draw until one fits.
      while (memory_planner::PlanPerLayer(g).arena_bytes > hw.SramBudget() - 16384) g = testing::RandomGraph(rng);
      const core::FloatModel fm = core::RandomFloatModel(g, rng);
      std::vector<float> image(g.tensor(g.input()).shape.Elements());
      for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
      ExecutionConfig execution;
      execution.mode = static_cast<memory_planner::PlanMode>(trial % 3);
      execution.input_in_arena = trial % 2 == 0;
      if (execution.mode == memory_planner::PlanMode::kPatch) {
        const std::vector<int> splits = memory_planner::PatchSplitCandidates(g);
        execution.split_op = splits.at(std::uniform_int_distribution<size_t>(0, splits.size() - 1)(rng));
        execution.patches_per_side = 2;
      }
      core::Result<Model> model = Quantize(fm, {image}, execution);
      if (!model.ok()) {  // a 2x2 grid does not fit a 1x1 stage output: plain in-place then
        execution.mode = memory_planner::PlanMode::kInPlace;
        model = Quantize(fm, {image}, execution);
      }
      ASSERT_TRUE(model.ok()) << model.error().message;
      const std::string dir = std::string(KILONAS_TEST_OUT) + "/firmware_" + std::to_string(trial);
      ExportOptions options{dir, "random", KILONAS_SOURCE_DIR, KernelSet::kOptimized, true, false};
      core::Result<ExportResult> r = ExportModel(model.value(), QuantizeInput(model.value(), image), hw, options);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_TRUE(r.value().BitExact()) << profile << " trial " << trial << " mode "
                                        << memory_planner::PlanModeName(execution.mode);
      EXPECT_GT(r.value().run->Instructions(), 0u);
      EXPECT_GE(r.value().build->bss, r.value().arena_bytes);  // the static arena is in .bss
    }
  }
}

// Every optimized kernel variant in one network, on both cores, in the in-place and patch plans:
// depthwise 3x3, 5x5 and 7x7 at strides 1 and 2 on maps of odd and even width (the assembly
// pairs of 3x3 outputs and their single leftovers), pointwise with and without the fused add and
// with odd and even numbers of 4-input groups (4 -> 12 -> 16: 1 and 3 groups),
// the stem conv, classifiers of 3 and 5 rows (the fully connected kernel's repeated rows) over 22
// and 32 inputs (5 groups and 2 more inputs: the assembly's odd entry and the C tail; 8 groups),
// a left-shifted depthwise channel, and the pointwise layers of every other block with wide weights (with and
// without the add; 25 -> 75 -> 25: odd channel counts and a zero-padded group; 1 to 24 groups,
// entering the 8-fold unrolled loop at every point).
TEST(Firmware, EveryOptimizedKernelVariantEqualsTheHostOnBothCores) {
  std::mt19937 rng(29);
  int trial = 0;
  for (const std::string& profile : {kilonas::testing::SourcePath("hw_profiles/stm32f746.json"),
                                     kilonas::testing::SourcePath("hw_profiles/stm32f412.json")}) {
    const core::HwProfile hw = core::LoadHwProfile(profile).value();
    for (const int resolution : {29, 30}) {
      core::NetSpec spec;
      spec.name = "variants";
      spec.resolution = resolution;
      spec.in_channels = 3;
      spec.num_classes = resolution == 29 ? 3 : 5;
      spec.stem_channels = 16;
      spec.stem_stride = 1;
      spec.blocks = {{4, 3, 1, 1},  {16, 3, 3, 2}, {16, 3, 4, 1}, {25, 5, 3, 1}, {25, 5, 3, 2},
                     {25, 7, 3, 1}, {32, 7, 3, 2}, {32, 3, 6, 1}, {32, 5, 3, 1}};
      spec.head_channels = resolution == 29 ? 22 : 0;
      core::Graph g = core::BuildGraph(spec).value();
      for (int i = 0, pointwise = 0; i < static_cast<int>(g.ops().size()); ++i) {
        if (g.op(i).kind == core::OpKind::kPointwiseConv2d && (pointwise++ / 2) % 2 == resolution % 2) {
          g.mutable_op(i).weights = core::WeightLayout::kWide;
        }
      }
      const core::FloatModel fm = core::RandomFloatModel(g, rng);
      std::vector<float> image(g.tensor(g.input()).shape.Elements());
      for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
      ExecutionConfig execution;
      execution.mode = resolution == 29 ? memory_planner::PlanMode::kInPlace : memory_planner::PlanMode::kPatch;
      if (execution.mode == memory_planner::PlanMode::kPatch) {
        execution.split_op = memory_planner::PatchSplitCandidates(g).back();
        execution.patches_per_side = 2;
      }
      Model model = Quantize(fm, {image}, execution).value();
      // A depthwise channel with a left shift (trained networks have them; random weights rarely):
      // it stays on the fast path, shifted by the kernel.
      for (size_t i = 0; i < model.constants.size(); ++i) {
        OpConstants& c = model.constants[i];
        if (g.op(static_cast<int>(i)).kind == core::OpKind::kDepthwiseConv2d) c.shift[c.shift.size() / 2] = 1;
      }
      ASSERT_TRUE(ValidateModel(model).ok());
      const std::string dir = std::string(KILONAS_TEST_OUT) + "/firmware_variants_" + std::to_string(trial++);
      ExportOptions options{dir, "variants", KILONAS_SOURCE_DIR, KernelSet::kOptimized, true, false};
      core::Result<ExportResult> r = ExportModel(model, QuantizeInput(model, image), hw, options);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_TRUE(r.value().BitExact()) << profile << " resolution " << resolution;
    }
  }
}

// The optimized kernels' general requantization (a channel with a left shift, an activation
// clamp narrower than int8) never occurs in the quantizer's models: force it into every layer
// with weights and compare the firmware with the host on both cores.
TEST(Firmware, GeneralRequantizationPathsEqualTheHostOnBothCores) {
  std::mt19937 rng(23);
  int trial = 0;
  for (const std::string& profile : {kilonas::testing::SourcePath("hw_profiles/stm32f746.json"),
                                     kilonas::testing::SourcePath("hw_profiles/stm32f412.json")}) {
    const core::HwProfile hw = core::LoadHwProfile(profile).value();
    core::Graph g = testing::RandomGraph(rng);
    while (memory_planner::PlanPerLayer(g).arena_bytes > hw.SramBudget() - 16384) g = testing::RandomGraph(rng);
    const core::FloatModel fm = core::RandomFloatModel(g, rng);
    std::vector<float> image(g.tensor(g.input()).shape.Elements());
    for (float& v : image) v = std::uniform_real_distribution<float>(-1, 1)(rng);
    Model model = Quantize(fm, {image}, {}).value();
    for (OpConstants& c : model.constants) {
      if (c.shift.empty()) continue;
      c.shift[0] = 1;
      c.act_max = 100;
    }
    ASSERT_TRUE(ValidateModel(model).ok());
    const std::string dir = std::string(KILONAS_TEST_OUT) + "/firmware_general_" + std::to_string(trial++);
    ExportOptions options{dir, "random", KILONAS_SOURCE_DIR, KernelSet::kOptimized, true, false};
    core::Result<ExportResult> r = ExportModel(model, QuantizeInput(model, image), hw, options);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.value().BitExact()) << profile;
  }
}

TEST(Firmware, LinkerRejectsAModelOverTheSramBudget) {
  const core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/stm32f412.json")).value();
  core::NetSpec spec;  // 96x96x96 expand output alone is 864 kB
  spec.name = "too_big";
  spec.resolution = 96;
  spec.stem_channels = 16;
  spec.stem_stride = 1;
  spec.blocks = {{16, 3, 6, 1}};
  const core::Graph g = core::BuildGraph(spec).value();
  std::mt19937 rng(1);
  const core::FloatModel fm = core::RandomFloatModel(g, rng);
  const std::vector<float> image(g.tensor(g.input()).shape.Elements(), 0.25f);
  const Model model = Quantize(fm, {image}, {}).value();
  ExportOptions options{
      std::string(KILONAS_TEST_OUT) + "/too_big", "too_big", KILONAS_SOURCE_DIR, KernelSet::kOptimized, true, false};
  core::Result<ExportResult> r = ExportModel(model, QuantizeInput(model, image), hw, options);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceed the SRAM budget"), std::string::npos) << r.error().message;
}

// The average pool (avg_pool2d) inside the patch stage and after it, then a softmax; and a
// network padded as TensorFlow's SAME pads (more after than before).
void ExpectFirmwareEqualsHost(const core::Graph& g, const std::string& name, uint32_t seed) {
  std::mt19937 rng(seed);
  const core::FloatModel fm = core::RandomFloatModel(g, rng);
  const std::vector<float> image = testing::RandomPoolImage(rng);
  const core::HwProfile hw =
      core::LoadHwProfile(std::string(KILONAS_SOURCE_DIR) + "/hw_profiles/stm32f746.json").value();
  for (const ExecutionConfig& execution :
       {ExecutionConfig{memory_planner::PlanMode::kInPlace, true, 0, 0},
        ExecutionConfig{memory_planner::PlanMode::kPatch, true, 2, memory_planner::PatchSplitCandidates(g).back()}}) {
    core::Result<Model> model = Quantize(fm, {image}, execution);
    ASSERT_TRUE(model.ok()) << model.error().message;
    const std::string dir =
        std::string(KILONAS_TEST_OUT) + "/" + name + "_" + std::string(memory_planner::PlanModeName(execution.mode));
    ExportOptions options{dir, name, KILONAS_SOURCE_DIR, KernelSet::kOptimized, true, false};
    core::Result<ExportResult> r = ExportModel(model.value(), QuantizeInput(model.value(), image), hw, options);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_TRUE(r.value().BitExact()) << name << " " << memory_planner::PlanModeName(execution.mode);
  }
}

TEST(Firmware, PoolNetworkEqualsTheHostInPlaceAndPatchModes) {
  ExpectFirmwareEqualsHost(testing::PoolNetwork(), "pools", 43);  // average and max
}

TEST(Firmware, SoftmaxNetworkEqualsTheHostInPlaceAndPatchModes) {
  ExpectFirmwareEqualsHost(testing::PoolNetwork(/*softmax=*/true), "softmax", 47);
}

TEST(Firmware, SamePaddedNetworkEqualsTheHostInPlaceAndPatchModes) {
  ExpectFirmwareEqualsHost(testing::SamePaddedNetwork(), "same_padding", 45);
}

}  // namespace
}  // namespace kilonas::engine
