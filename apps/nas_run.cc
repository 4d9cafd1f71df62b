// nas_run: runs an existing .kmodel file (from nas_export, nas_search or elsewhere) or an int8
// .tflite (imported) through the loader's checks, on the host interpreter with one input (a test
// image of a data set or a raw int8 file; float32 for a .tflite whose edges convert floats), and
// optionally as firmware in QEMU, checking that both give the same output.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>

#include "apps/arch_resolver.h"
#include "apps/cli.h"
#include "core/file_io.h"
#include "core/hw_profile.h"
#include "data/dataset.h"
#include "data/image_folder.h"
#include "engine/export.h"
#include "engine/interpreter.h"
#include "engine/model_file.h"
#include "engine/quantizer.h"
#include "pipeline/int8_eval.h"
#include "tflite/import.h"

namespace {

using namespace kilonas;

int Fail(const std::string& message) { return kilonas::apps::Fail("nas_run", message); }

// Where the input comes from (one of them), and what it yields besides the int8 tensor.
struct InputChoice {
  std::string raw_path;  // raw int8 HWC bytes (float32 ones for a model with a float input edge)
  bool float_input = false;
  std::string image_file;  // an image file of the user's own
  int image = 0;           // else: this test image of `data`
  std::string data;
  bool data_given = false;  // --data on the command line: its class names name the output
};
struct ModelInputResult {
  std::vector<int8_t> input;
  int label = -1;  // the test image's label
  std::vector<std::string> class_names;
};

// The raw file's int8 values (exactly the input tensor's size), or its float32 values quantized
// as the file's QUANTIZE does where the model takes floats.
core::Result<std::vector<int8_t>> RawInput(const engine::Model& model, const InputChoice& choice) {
  const core::Shape shape = model.graph.tensor(model.graph.input()).shape;
  core::Result<std::string> bytes = core::ReadTextFile(choice.raw_path);
  if (!bytes.ok()) return bytes.error();
  const int64_t value_bytes = choice.float_input ? 4 : 1;
  if (static_cast<int64_t>(bytes.value().size()) != shape.Elements() * value_bytes) {
    return core::Error{choice.raw_path + ": " + std::to_string(bytes.value().size()) + " bytes; the model's input " +
                       shape.ToString() + " takes " + std::to_string(shape.Elements()) +
                       (choice.float_input ? " float32 values (HWC, little-endian)" : " int8 values (HWC)")};
  }
  if (!choice.float_input) return std::vector<int8_t>(bytes.value().begin(), bytes.value().end());
  std::vector<float> values(static_cast<size_t>(shape.Elements()));
  std::memcpy(values.data(), bytes.value().data(), bytes.value().size());
  const auto nan = std::find_if(values.begin(), values.end(), [](float v) { return std::isnan(v); });
  if (nan != values.end()) {
    return core::Error{choice.raw_path + ": value " + std::to_string(nan - values.begin()) + " is not a number"};
  }
  return tflite::QuantizeAtInputEdge(model, values);
}

// The model's int8 input: the raw file's (RawInput), an image file decoded as a folder's images
// are, or test image `image` of the data set's test split; images normalised as the model's file
// says and resized to the model's input.
core::Result<ModelInputResult> ModelInput(const engine::Model& model, const InputChoice& choice) {
  const core::Shape shape = model.graph.tensor(model.graph.input()).shape;
  ModelInputResult result;
  if (!choice.raw_path.empty()) {
    core::Result<std::vector<int8_t>> raw = RawInput(model, choice);
    if (!raw.ok()) return raw.error();
    result.input = std::move(raw).value();
    return result;
  }
  data::ImageSet set;
  if (choice.image_file.empty() || choice.data_given) {  // the test image, or the class names
    data::DatasetOptions options;
    options.validation_size = 1;
    options.channels = shape.c;
    options.image_side = shape.h;
    core::Result<data::Dataset> loaded = data::LoadDataset(choice.data, options);
    if (!loaded.ok()) return loaded.error();
    result.class_names = loaded.value().class_names;
    set = std::move(loaded.value().test);
  }
  int index = choice.image;
  if (!choice.image_file.empty()) {
    if (shape.h != shape.w || (shape.c != 1 && shape.c != 3)) {
      return core::Error{"the model's input is " + shape.ToString() +
                         ": --image-file needs a square 1- or 3-channel one"};
    }
    core::Result<std::vector<uint8_t>> pixels = data::DecodeImageFile(choice.image_file, shape.c, shape.h);
    if (!pixels.ok()) return pixels.error();
    set = data::ImageSet{};
    set.rows = set.cols = shape.h;
    set.channels = shape.c;
    set.pixels = std::move(pixels).value();
    set.labels = {0};
    index = 0;
  } else {
    if (index >= static_cast<int>(set.size())) {
      return core::Error{"--image " + std::to_string(index) + ": the test split of " + choice.data + " has " +
                         std::to_string(set.size()) + " images"};
    }
    if (set.channels != shape.c || shape.h != shape.w) {
      return core::Error{"the model's input is " + shape.ToString() + "; " + choice.data + " has " +
                         std::to_string(set.channels) + "-channel images (square inputs of that many channels)"};
    }
    result.label = set.labels[static_cast<size_t>(index)];
  }
  core::Result<data::Normalization> normalization = apps::StoredInputNormalization(model, shape.c);
  if (!normalization.ok()) return core::Error{normalization.error().message + ": give a raw int8 input with --input"};
  set.normalization = normalization.value();
  result.input = engine::QuantizeInput(model, pipeline::EngineImage(set, index, shape.h));
  return result;
}

// "3 (Sandal)" where the data set names its classes, else "3".
std::string ClassText(int index, const std::vector<std::string>& names) {
  const bool named = index >= 0 && static_cast<size_t>(index) < names.size() &&
                     names[static_cast<size_t>(index)] != std::to_string(index);
  return std::to_string(index) + (named ? " (" + names[static_cast<size_t>(index)] + ")" : "");
}

int TopClass(const std::vector<int8_t>& output) {
  return static_cast<int>(std::max_element(output.begin(), output.end()) - output.begin());
}

// Builds the model's firmware for `hw_path`'s MCU, runs it in QEMU on `input` and prints its class;
// 0 when its output equals the host's.
int RunFirmware(const engine::Model& model, const std::string& model_path, const std::vector<int8_t>& input,
                const std::vector<std::string>& names, const std::string& hw_path, std::string out_dir) {
  core::Result<core::HwProfile> hw = core::LoadHwProfile(hw_path);
  if (!hw.ok()) return Fail(hw.error().message);
  if (out_dir.empty()) out_dir = "out/run/" + std::filesystem::path(model_path).stem().string();
  core::Result<core::DirLock> lock = apps::LockDir("nas_run", out_dir);
  if (!lock.ok()) return Fail(lock.error().message);
  engine::ExportOptions options;
  options.out_dir = out_dir;
  options.network = std::filesystem::path(model_path).stem().string();
  options.source_root = KILONAS_SOURCE_DIR;
  core::Result<engine::ExportResult> run = engine::ExportModel(model, input, hw.value(), options);
  if (!run.ok()) return Fail(run.error().message);
  const std::vector<int8_t>& device = run.value().run->output;
  std::printf("firmware        %s on %s (qemu-system-arm -M %s): class %s, output %s the host's, %llu instructions\n",
              out_dir.c_str(), hw.value().name.c_str(), hw.value().qemu_machine.c_str(),
              ClassText(TopClass(device), names).c_str(), run.value().BitExact() ? "bit-exact with" : "DIFFERENT from",
              static_cast<unsigned long long>(run.value().run->Instructions()));
  return run.value().BitExact() ? 0 : 1;
}

// Outputs up to this many values are printed whole (a classifier's scores).
constexpr size_t kPrintedOutputs = 32;

std::string FloatText(float v) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", static_cast<double>(v));
  return text;
}

std::string BytesText(const std::vector<int8_t>& values) {
  std::string text;
  for (int8_t v : values) text += (text.empty() ? "" : " ") + std::to_string(v);
  return text;
}

// The output values where there are few, and the file's DEQUANTIZE of them where it has one.
void PrintOutputs(const engine::Model& model, const std::vector<int8_t>& output, bool float_output) {
  if (output.size() > kPrintedOutputs) return;
  std::printf("output          %s\n", BytesText(output).c_str());
  if (!float_output) return;
  std::string text;
  for (float v : engine::DequantizeOutput(model, output)) text += (text.empty() ? "" : " ") + FloatText(v);
  std::printf("output (float)  %s\n", text.c_str());
}

// The model file, and whether it gives and takes floats (`edges`); a .tflite needs a raw input.
core::Result<engine::Model> LoadRunModel(const std::string& path, bool raw_given, tflite::FloatEdges& edges) {
  core::Result<engine::Model> model = apps::LoadModelFile(path, &edges);
  if (!model.ok()) return model.error();
  if (apps::IsTfliteFile(path) && !raw_given) {
    return core::Error{path + ": a .tflite model does not say how its input was made from pixels: give a raw " +
                       (edges.input ? "float32" : "int8") + " input with --input"};
  }
  return model;
}

}  // namespace

static int ToolMain(int argc, char** argv) {
  CLI::App app{"Run a .kmodel or .tflite file: loader checks, host interpreter, optionally firmware in QEMU"};
  std::string model_path, hw_path = "hw_profiles/stm32f746.json";
  InputChoice choice;
  choice.data = data::kDefaultDataSpec;
  std::string out_dir;
  bool firmware = false;
  app.add_option("--model", model_path, "model file (.kmodel, or an int8 .tflite to import)")->required();
  CLI::Option* raw =
      app.add_option("--input", choice.raw_path,
                     "raw input file: the model's input size in HWC order, int8 bytes (float32 values for a .tflite "
                     "with a float input)");
  CLI::Option* image = app.add_option("--image", choice.image, "index of a test image of --data (when no --input)")
                           ->capture_default_str()
                           ->check(CLI::Range(0, 1 << 30))
                           ->excludes(raw);
  app.add_option("--image-file", choice.image_file,
                 "an image file of your own (png, jpg, bmp, ppm, pgm): decoded, composited over white and resized "
                 "as a folder's images are; --data names its classes")
      ->excludes(raw)
      ->excludes(image);
  CLI::Option* data_option =
      app.add_option("--data", choice.data, "data set whose test image is the input (and whose classes name outputs)")
          ->capture_default_str();
  app.add_flag("--firmware", firmware, "also build the firmware for --hw and run it in QEMU");
  app.add_option("--hw", hw_path, "hardware profile of the firmware")->capture_default_str();
  app.add_option("--out-dir", out_dir, "firmware directory (default out/run/<model file name>)");
  KILONAS_PARSE(app, argc, argv);

  tflite::FloatEdges edges;
  core::Result<engine::Model> model = LoadRunModel(model_path, raw->count() > 0, edges);
  if (!model.ok()) return Fail(model.error().message);
  choice.float_input = edges.input;
  const core::Graph& graph = model.value().graph;
  std::printf("model           %s: %zu ops, input %s, %lld MACs, loader checks passed\n", model_path.c_str(),
              graph.ops().size(), graph.tensor(graph.input()).shape.ToString().c_str(),
              static_cast<long long>(graph.TotalMacs()));
  choice.data_given = data_option->count() > 0;
  core::Result<ModelInputResult> input = ModelInput(model.value(), choice);
  if (!input.ok()) return Fail(input.error().message);
  const std::vector<std::string>& names = input.value().class_names;
  core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(model.value());
  if (!interpreter.ok()) return Fail(interpreter.error().message);
  core::Result<std::vector<int8_t>> output = interpreter.value().Invoke(input.value().input);
  if (!output.ok()) return Fail(output.error().message);
  const std::vector<int8_t>& host = output.value();
  const int label = input.value().label;
  std::printf("host            class %s (score %d)%s\n", ClassText(TopClass(host), names).c_str(),
              host[static_cast<size_t>(TopClass(host))],
              label >= 0
                  ? (", test image " + std::to_string(choice.image) + " is labelled " + ClassText(label, names)).c_str()
                  : "");
  PrintOutputs(model.value(), host, edges.output);
  if (!firmware) return 0;
  return RunFirmware(model.value(), model_path, input.value().input, names, hw_path, out_dir);
}

int main(int argc, char** argv) { return kilonas::apps::RunTool("nas_run", argc, argv, ToolMain); }
