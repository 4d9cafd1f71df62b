#include "data/image_folder.h"

#include <stb/stb_image.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/file_io.h"
#include "core/logging.h"
#include "data/image_check.h"

namespace kilonas::data {
namespace fs = std::filesystem;
namespace {

bool IsImageFile(const fs::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* known : {".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm"}) {
    if (ext == known) return true;
  }
  return false;
}

// The class folders (`directories`) or image files directly in `dir`, sorted. An entry whose
// type cannot be read (a symbolic link loop, a dangling link, no permission) is an error naming it.
core::Result<std::vector<fs::path>> SortedEntries(const fs::path& dir, bool directories) {
  std::vector<fs::path> out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec), end;
  for (; !ec && it != end; it.increment(ec)) {
    std::error_code type_error;
    const fs::file_status status = it->status(type_error);
    if (type_error) return core::Error{it->path().string() + ": cannot read (" + type_error.message() + ")"};
    if (directories ? fs::is_directory(status) : (fs::is_regular_file(status) && IsImageFile(it->path()))) {
      out.push_back(it->path());
    }
  }
  if (ec) return core::Error{dir.string() + ": cannot list (" + ec.message() + ")"};
  std::sort(out.begin(), out.end());
  return out;
}

core::Result<std::vector<std::string>> ClassNames(const fs::path& dir) {
  core::Result<std::vector<fs::path>> folders = SortedEntries(dir, true);
  if (!folders.ok()) return folders.error();
  std::vector<std::string> names;
  for (const fs::path& p : folders.value()) names.push_back(p.filename().string());
  return names;
}

// How a folder's images are decoded, and what decoding them found.
struct Decoding {
  int channels = 3;
  int side = 32;
  std::array<uint8_t, 3> background{};
  int64_t composited = 0, uniform = 0;
};

// RGBA pixels over `background`, as `channels` (1: stb_image's own luminance weights, so that
// transparent and opaque files of one folder convert alike).
std::vector<uint8_t> Composite(const uint8_t* rgba, size_t pixels, int channels, const std::array<uint8_t, 3>& bg) {
  std::vector<uint8_t> out(pixels * static_cast<size_t>(channels));
  for (size_t i = 0; i < pixels; ++i) {
    const int alpha = rgba[4 * i + 3];
    int rgb[3];
    for (int c = 0; c < 3; ++c) rgb[c] = (rgba[4 * i + c] * alpha + bg[c] * (255 - alpha) + 127) / 255;
    if (channels == 1) {
      out[i] = static_cast<uint8_t>((rgb[0] * 77 + rgb[1] * 150 + rgb[2] * 29) >> 8);
    } else {
      for (int c = 0; c < 3; ++c) out[3 * i + static_cast<size_t>(c)] = static_cast<uint8_t>(rgb[c]);
    }
  }
  return out;
}

// Read whole (a bounded, regular file), checked for what stb_image does not check, decoded
// (transparency composited over the background), counted if uniform, resized.
core::Result<std::vector<uint8_t>> Decode(const fs::path& path, Decoding& decoding) {
  core::Result<std::string> bytes = core::ReadTextFile(path.string(), kMaxImageFileBytes);
  if (!bytes.ok()) return bytes.error();
  if (core::Status s = CheckImageBytes(path.string(), bytes.value()); !s.ok()) return s.error();
  const auto* data = reinterpret_cast<const stbi_uc*>(bytes.value().data());
  const int size = static_cast<int>(bytes.value().size());
  int width = 0, height = 0, found = 0;
  const bool alpha = stbi_info_from_memory(data, size, &width, &height, &found) && (found == 2 || found == 4);
  uint8_t* decoded = stbi_load_from_memory(data, size, &width, &height, &found, alpha ? 4 : decoding.channels);
  if (decoded == nullptr) {
    return core::Error{path.string() + ": cannot decode (" + std::string(stbi_failure_reason()) + ")"};
  }
  const size_t pixels = static_cast<size_t>(width) * static_cast<size_t>(height);
  const std::vector<uint8_t> image =
      alpha ? Composite(decoded, pixels, decoding.channels, decoding.background)
            : std::vector<uint8_t>(decoded, decoded + pixels * static_cast<size_t>(decoding.channels));
  stbi_image_free(decoded);
  decoding.composited += alpha;
  const auto [lowest, highest] = std::minmax_element(image.begin(), image.end());
  decoding.uniform += *highest - *lowest < kUniformRange;
  return ResizeBilinear(image.data(), height, width, decoding.channels, decoding.side, decoding.side);
}

core::Status AppendImage(const fs::path& path, int label, Decoding& decoding, ImageSet& set) {
  core::Result<std::vector<uint8_t>> image = Decode(path, decoding);
  if (!image.ok()) return image.status();
  set.pixels.insert(set.pixels.end(), image.value().begin(), image.value().end());
  set.labels.push_back(static_cast<uint8_t>(label));
  return core::Status::Ok();
}

// Says what decoding did to the images, and warns when much of a folder came out blank.
void ReportDecoding(const std::string& root, const ImageFolder& folder, const std::array<uint8_t, 3>& background) {
  const int64_t images = static_cast<int64_t>(folder.train.size() + (folder.test ? folder.test->size() : 0));
  if (folder.composited > 0) {
    core::Logger()->info("{}: {} of {} images have transparency, composited over the background ({}, {}, {})", root,
                         folder.composited, images, background[0], background[1], background[2]);
  }
  if (images > 0 && 5 * folder.uniform > images) {
    core::Logger()->warn(
        "{}: {} of {} images decoded (nearly) uniform (all values within {}): their content may have been lost "
        "(a shape drawn only in the alpha channel over this background colour?); look at a few of them",
        root, folder.uniform, images, kUniformRange);
  }
}

// What a class folder without images holds instead, for the error: its own subfolders mean the
// data set root is one level further down.
std::string FoundInstead(const fs::path& class_dir) {
  core::Result<std::vector<fs::path>> subfolders = SortedEntries(class_dir, true);
  if (!subfolders.ok() || subfolders.value().empty()) return "";
  std::string names;
  for (size_t i = 0; i < subfolders.value().size() && i < 3; ++i) {
    names += (i ? ", " : "") + subfolders.value()[i].filename().string();
  }
  return "; it holds " + std::to_string(subfolders.value().size()) + " folders (" + names +
         (subfolders.value().size() > 3 ? ", ..." : "") + "): is the data set " + class_dir.string() + " itself?";
}

// The images of `classes` under `dir`, labelled by their index in `classes`.
core::Result<ImageSet> ReadSplit(const fs::path& dir, const std::vector<std::string>& classes, Decoding& decoding) {
  ImageSet set;
  set.rows = set.cols = decoding.side;
  set.channels = decoding.channels;
  for (size_t label = 0; label < classes.size(); ++label) {
    const fs::path class_dir = dir / classes[label];
    std::error_code ec;
    if (!fs::is_directory(class_dir, ec)) continue;  // a class may be absent from test/
    core::Result<std::vector<fs::path>> listed = SortedEntries(class_dir, false);
    if (!listed.ok()) return listed.error();
    const std::vector<fs::path>& files = listed.value();
    if (files.empty())
      return core::Error{class_dir.string() + ": no images (.png .jpg .jpeg .bmp .ppm .pgm)" + FoundInstead(class_dir)};
    for (const fs::path& file : files) {
      if (core::Status s = AppendImage(file, static_cast<int>(label), decoding, set); !s.ok()) return s.error();
    }
  }
  return set;
}

}  // namespace

std::vector<uint8_t> ResizeBilinear(const uint8_t* pixels, int rows, int cols, int channels, int out_rows,
                                    int out_cols) {
  std::vector<uint8_t> out(static_cast<size_t>(out_rows) * out_cols * channels);
  const double sy = static_cast<double>(rows) / out_rows, sx = static_cast<double>(cols) / out_cols;
  for (int y = 0; y < out_rows; ++y) {
    const double fy = std::clamp((y + 0.5) * sy - 0.5, 0.0, rows - 1.0);
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, rows - 1);
    const double wy = fy - y0;
    for (int x = 0; x < out_cols; ++x) {
      const double fx = std::clamp((x + 0.5) * sx - 0.5, 0.0, cols - 1.0);
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, cols - 1);
      const double wx = fx - x0;
      for (int c = 0; c < channels; ++c) {
        auto at = [&](int yy, int xx) { return pixels[(static_cast<size_t>(yy) * cols + xx) * channels + c]; };
        const double v =
            (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) + wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
        out[(static_cast<size_t>(y) * out_cols + x) * channels + c] = static_cast<uint8_t>(std::lround(v));
      }
    }
  }
  return out;
}

core::Result<std::vector<uint8_t>> DecodeImageFile(const std::string& path, int channels, int side,
                                                   std::array<uint8_t, 3> background) {
  if (channels != 1 && channels != 3) return core::Error{path + ": channels must be 1 or 3"};
  Decoding decoding{channels, side, background};
  return Decode(path, decoding);
}

core::Result<ImageFolder> ReadImageFolder(const std::string& root, int channels, int side,
                                          std::array<uint8_t, 3> background) {
  if (channels != 1 && channels != 3) return core::Error{root + ": channels must be 1 or 3"};
  if (side < 1 || side > static_cast<int>(kMaxImageSide)) return core::Error{root + ": image side out of range"};
  std::error_code ec;
  if (!fs::is_directory(root, ec)) return core::Error{root + ": no such directory"};
  // root/train/ (with or without root/test/) holds the training classes; without test/, a share
  // of them is held out for testing, as for a folder of classes.
  const bool has_train = fs::is_directory(fs::path(root) / "train", ec);
  const bool split = has_train && fs::is_directory(fs::path(root) / "test", ec);
  const fs::path train_dir = has_train ? fs::path(root) / "train" : fs::path(root);
  ImageFolder folder;
  core::Result<std::vector<std::string>> classes = ClassNames(train_dir);
  if (!classes.ok()) return classes.error();
  folder.class_names = classes.value();
  if (folder.class_names.empty())
    return core::Error{train_dir.string() + ": no class folders (<root>/<class>/<image>)"};
  if (folder.class_names.size() < 2) {
    return core::Error{train_dir.string() + ": one class folder ('" + folder.class_names[0] +
                       "'): a classifier needs at least 2 classes (every prediction would be right)"};
  }
  if (folder.class_names.size() > 256) {
    return core::Error{train_dir.string() + ": " + std::to_string(folder.class_names.size()) + " classes, at most 256"};
  }
  Decoding decoding{channels, side, background};
  core::Result<ImageSet> train = ReadSplit(train_dir, folder.class_names, decoding);
  if (!train.ok()) return train.error();
  folder.train = std::move(train).value();
  if (split) {
    const fs::path test_dir = fs::path(root) / "test";
    core::Result<std::vector<std::string>> test_classes = ClassNames(test_dir);
    if (!test_classes.ok()) return test_classes.error();
    for (const std::string& name : test_classes.value()) {
      if (std::find(folder.class_names.begin(), folder.class_names.end(), name) == folder.class_names.end()) {
        return core::Error{(test_dir / name).string() + ": class '" + name + "' is not in " + train_dir.string()};
      }
    }
    core::Result<ImageSet> test = ReadSplit(test_dir, folder.class_names, decoding);
    if (!test.ok()) return test.error();
    folder.test = std::move(test).value();
  }
  folder.composited = decoding.composited;
  folder.uniform = decoding.uniform;
  ReportDecoding(root, folder, background);
  return folder;
}

}  // namespace kilonas::data
