// nas_run: runs an existing .kmodel file (from nas_export, nas_search or elsewhere) through the
// loader's checks, on the host interpreter with one input (a test image of a data set or a raw
// int8 file), and optionally as firmware in QEMU, checking that both give the same output.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include "apps/cli.h"
#include "core/file_io.h"
#include "core/hw_profile.h"
#include "data/dataset.h"
#include "engine/export.h"
#include "engine/interpreter.h"
#include "engine/model_file.h"
#include "engine/quantizer.h"
#include "pipeline/int8_eval.h"

namespace {

using namespace kilonas;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_run", message); }

// The model's int8 input: the raw file's bytes (exactly the input tensor's size), or test image
// `image` of the data set's test split, normalised as the model's file says (models written before
// files carried it: Fashion-MNIST's constants) and resized to the model's input.
core::Result<std::vector<int8_t>> ModelInput(const engine::Model& model, const std::string& raw_path, int image,
                                             const std::string& data, int* label) {
  const core::Shape shape = model.graph.tensor(model.graph.input()).shape;
  if (!raw_path.empty()) {
    core::Result<std::string> bytes = core::ReadTextFile(raw_path);
    if (!bytes.ok()) return bytes.error();
    if (static_cast<int64_t>(bytes.value().size()) != shape.Elements()) {
      return core::Error{raw_path + ": " + std::to_string(bytes.value().size()) + " bytes; the model's input " +
                         shape.ToString() + " takes " + std::to_string(shape.Elements()) + " int8 values (HWC)"};
    }
    return std::vector<int8_t>(bytes.value().begin(), bytes.value().end());
  }
  data::DatasetOptions options;
  options.validation_size = 1;
  options.channels = shape.c;
  options.image_side = shape.h;
  core::Result<data::Dataset> set = data::LoadDataset(data, options);
  if (!set.ok()) return set.error();
  data::ImageSet& test = set.value().test;
  if (image >= static_cast<int>(test.size())) {
    return core::Error{"--image " + std::to_string(image) + ": the test split of " + set.value().source + " has " +
                       std::to_string(test.size()) + " images"};
  }
  if (test.channels != shape.c || shape.h != shape.w) {
    return core::Error{"the model's input is " + shape.ToString() + "; " + set.value().source + " has " +
                       std::to_string(test.channels) + "-channel images (square inputs of that many channels)"};
  }
  if (model.input_mean.empty() && shape.c != 1) {
    return core::Error{
        "the model file carries no input normalisation (written before files had one; only "
        "Fashion-MNIST models are known): give a raw int8 input with --input"};
  }
  test.normalization = model.input_mean.empty() ? data::LegacyFashionMnistNormalization()
                                                : data::Normalization{model.input_mean, model.input_std};
  *label = test.labels[static_cast<size_t>(image)];
  return engine::QuantizeInput(model, pipeline::EngineImage(test, image, shape.h));
}

int TopClass(const std::vector<int8_t>& output) {
  return static_cast<int>(std::max_element(output.begin(), output.end()) - output.begin());
}

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{"Run a .kmodel file: loader checks, host interpreter, optionally firmware in QEMU"};
  std::string model_path, raw_path, data = data::kDefaultDataSpec, hw_path = "hw_profiles/stm32f746.json";
  std::string out_dir;
  int image = 0;
  bool firmware = false;
  app.add_option("--model", model_path, "model file (.kmodel)")->required();
  app.add_option("--input", raw_path, "raw int8 input file (HWC bytes of the model's input size)");
  app.add_option("--image", image, "index of a test image of --data (when no --input)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1 << 30))
      ->excludes("--input");
  app.add_option("--data", data, "data set whose test image is the input: a directory, or format:path")
      ->capture_default_str();
  app.add_flag("--firmware", firmware, "also build the firmware for --hw and run it in QEMU");
  app.add_option("--hw", hw_path, "hardware profile of the firmware")->capture_default_str();
  app.add_option("--out-dir", out_dir, "firmware directory (default out/run/<model file name>)");
  KILONAS_PARSE(app, argc, argv);

  core::Result<engine::Model> model = engine::LoadModel(model_path);
  if (!model.ok()) return Fail(model.error().message);
  const core::Graph& graph = model.value().graph;
  std::printf("model           %s: %zu ops, input %s, %lld MACs, loader checks passed\n", model_path.c_str(),
              graph.ops().size(), graph.tensor(graph.input()).shape.ToString().c_str(),
              static_cast<long long>(graph.TotalMacs()));
  int label = -1;
  core::Result<std::vector<int8_t>> input = ModelInput(model.value(), raw_path, image, data, &label);
  if (!input.ok()) return Fail(input.error().message);
  core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(model.value());
  if (!interpreter.ok()) return Fail(interpreter.error().message);
  const std::vector<int8_t> host = interpreter.value().Invoke(input.value());
  std::printf(
      "host            class %d (score %d)%s\n", TopClass(host), host[static_cast<size_t>(TopClass(host))],
      label >= 0 ? (", test image " + std::to_string(image) + " is labelled " + std::to_string(label)).c_str() : "");
  if (!firmware) return 0;

  core::Result<core::HwProfile> hw = core::LoadHwProfile(hw_path);
  if (!hw.ok()) return Fail(hw.error().message);
  if (out_dir.empty()) out_dir = "out/run/" + std::filesystem::path(model_path).stem().string();
  core::Result<core::DirLock> lock = apps::LockDir("nas_run", out_dir);
  if (!lock.ok()) return Fail(lock.error().message);
  engine::ExportOptions options;
  options.out_dir = out_dir;
  options.network = std::filesystem::path(model_path).stem().string();
  options.source_root = KILONAS_SOURCE_DIR;
  core::Result<engine::ExportResult> run = engine::ExportModel(model.value(), input.value(), hw.value(), options);
  if (!run.ok()) return Fail(run.error().message);
  const std::vector<int8_t>& device = run.value().run->output;
  std::printf("firmware        %s on %s (qemu-system-arm -M %s): class %d, output %s the host's, %llu instructions\n",
              out_dir.c_str(), hw.value().name.c_str(), hw.value().qemu_machine.c_str(), TopClass(device),
              run.value().BitExact() ? "bit-exact with" : "DIFFERENT from",
              static_cast<unsigned long long>(run.value().run->Instructions()));
  return run.value().BitExact() ? 0 : 1;
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_run", argc, argv, ToolMain); }
