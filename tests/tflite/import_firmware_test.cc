// Imported .tflite models as firmware: TFLite Micro's person detection and micro speech models,
// exported to C, cross-compiled for Cortex-M7 and Cortex-M4 and run in qemu-system-arm, give the
// host interpreter's bytes, which are TFLite Micro's (tests/tflite/import_test.cc).
#include <gtest/gtest.h>

#include "core/hw_profile.h"
#include "engine/export.h"
#include "memory_planner/patch_plan.h"
#include "tests/support/source_path.h"
#include "tests/tflite/readme_inputs.h"
#include "tflite/import.h"

namespace kilonas::tflite {
namespace {

void ExpectFirmwareGives(const std::string& file, const std::vector<int8_t>& expected) {
  core::Result<Model> m = LoadModel(kilonas::testing::SourcePath("tests/tflite/data/" + file));
  ASSERT_TRUE(m.ok()) << m.error().message;
  core::Result<engine::Model> imported = ImportModel(m.value(), file);
  ASSERT_TRUE(imported.ok()) << imported.error().message;
  engine::Model model = imported.value();
  const core::Graph& g = model.graph;
  const std::vector<int8_t> input =
      testing::ReadmeInputs(static_cast<size_t>(g.tensor(g.input()).shape.Elements()))[2];  // xorshift
  const std::string name = file.substr(0, file.find('.'));
  for (const char* profile : {"hw_profiles/stm32f746.json", "hw_profiles/stm32f412.json"}) {
    const core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath(profile)).value();
    for (const engine::ExecutionConfig& execution :
         {engine::ExecutionConfig{memory_planner::PlanMode::kInPlace, true, 0, 0},
          engine::ExecutionConfig{memory_planner::PlanMode::kPatch, true, 2,
                                  memory_planner::PatchSplitCandidates(g).front()}}) {
      model.execution = execution;
      const std::string dir = std::string(KILONAS_TEST_OUT) + "/import_" + name + "_" + hw.name + "_" +
                              std::string(memory_planner::PlanModeName(execution.mode));
      const engine::ExportOptions options{dir, name, KILONAS_SOURCE_DIR, engine::KernelSet::kOptimized, true, false};
      core::Result<engine::ExportResult> r = engine::ExportModel(model, input, hw, options);
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_TRUE(r.value().BitExact()) << name << " on " << hw.name;
      EXPECT_EQ(r.value().host_output, expected) << name << " on " << hw.name;
    }
  }
}

TEST(ImportedFirmware, MicroSpeechGivesTfliteMicrosBytesOnBothCores) {
  ExpectFirmwareGives("micro_speech_quantized.tflite", {-128, -91, 50, -87});
}

TEST(ImportedFirmware, PersonDetectionGivesTfliteMicrosBytesOnBothCores) {
  ExpectFirmwareGives("person_detect.tflite", {107, -107});
}

}  // namespace
}  // namespace kilonas::tflite
