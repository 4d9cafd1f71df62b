// Generated C as plain text against a golden file (a reviewed example of what nas_export
// writes). Regenerate after an intended change with KILONAS_UPDATE_GOLDEN=1.
#include "engine/codegen.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "core/file_io.h"
#include "core/net_spec.h"
#include "engine/interpreter.h"
#include "engine/quantizer.h"
#include "tests/support/source_path.h"

namespace kilonas::engine {
namespace {

Model TinyModel() {
  core::NetSpec spec;
  spec.name = "tiny";
  spec.resolution = 4;
  spec.in_channels = 1;
  spec.num_classes = 2;
  spec.stem_channels = 8;
  spec.blocks = {{8, 3, 1, 1}};  // depthwise, projection, residual add (fused)
  const core::Graph g = core::BuildGraph(spec).value();
  // Hand-made weights: deterministic on every platform (no random distributions).
  core::FloatModel fm{g, {}};
  for (const core::Op& op : g.ops()) {
    core::FloatOpWeights w;
    for (int64_t i = 0; i < g.WeightCount(op); ++i) w.weights.push_back(static_cast<float>((i * 7 % 13) - 6) / 10.0f);
    for (int64_t i = 0; i < g.BiasCount(op); ++i) w.bias.push_back(static_cast<float>(i % 3) / 10.0f);
    fm.ops.push_back(w);
  }
  std::vector<float> image(16);
  for (int i = 0; i < 16; ++i) image[i] = static_cast<float>(i) / 8.0f - 1.0f;
  return Quantize(fm, {image}, {}).value();
}

TEST(Codegen, TinyModelMatchesTheGoldenSource) {
  const Model model = TinyModel();
  const Interpreter interpreter = Interpreter::Create(model).value();
  const GeneratedSources sources = GenerateC(model, interpreter.schedule(), "tiny");
  const std::string golden_path = kilonas::testing::SourcePath("tests/engine/golden/tiny_model.c");
  if (std::getenv("KILONAS_UPDATE_GOLDEN")) {
    ASSERT_TRUE(core::WriteFileAtomic(golden_path, sources.source).ok());
  }
  core::Result<std::string> golden = core::ReadTextFile(golden_path);
  ASSERT_TRUE(golden.ok()) << golden.error().message;
  EXPECT_EQ(sources.source, golden.value());
}

// Names from a model file made elsewhere never close a comment or open a directive in the
// generated C, even where the loader's alphabet check was bypassed.
TEST(Codegen, HostileNamesAreEscapedInTheGeneratedSource) {
  Model model = TinyModel();
  const std::string hostile = "x */ #include <stdio.h> int evil; /*";
  for (int i = 0; i < static_cast<int>(model.graph.ops().size()); ++i) model.graph.mutable_op(i).name = hostile;
  const Interpreter interpreter = Interpreter::Create(model).value();
  const GeneratedSources sources = GenerateC(model, interpreter.schedule(), "net */ #define X");
  for (const std::string& text : {sources.source, sources.header}) {
    EXPECT_EQ(text.find("#include <stdio.h>"), std::string::npos);
    EXPECT_EQ(text.find("int evil"), std::string::npos);
    EXPECT_EQ(text.find("#define X"), std::string::npos);
    size_t opened = 0, closed = 0;
    for (size_t at = text.find("/*"); at != std::string::npos; at = text.find("/*", at + 2)) ++opened;
    for (size_t at = text.find("*/"); at != std::string::npos; at = text.find("*/", at + 2)) ++closed;
    EXPECT_EQ(opened, closed);
  }
}

TEST(Codegen, ArenaIsDeclaredWithThePlannedSizeAndEveryStepIsCalled) {
  const Model model = TinyModel();
  const Interpreter interpreter = Interpreter::Create(model).value();
  const GeneratedSources sources = GenerateC(model, interpreter.schedule(), "tiny");
  EXPECT_NE(sources.header.find("#define KILONAS_MODEL_ARENA_BYTES " + std::to_string(interpreter.arena_bytes())),
            std::string::npos);
  size_t calls = 0;
  for (size_t at = sources.source.find("KILONAS_STEP_END("); at != std::string::npos;
       at = sources.source.find("KILONAS_STEP_END(", at + 1)) {
    ++calls;
  }
  EXPECT_EQ(calls - 2, interpreter.schedule().steps.size());                       // minus the two macro definitions
  EXPECT_NE(sources.source.find("kilonas_pointwise_add_dsp"), std::string::npos);  // the fused residual
}

}  // namespace
}  // namespace kilonas::engine
