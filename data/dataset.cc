#include "data/dataset.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <random>

#include "core/logging.h"
#include "data/cifar.h"
#include "data/idx.h"
#include "data/image_folder.h"

namespace kilonas::data {
namespace fs = std::filesystem;
namespace {

// Images `indices` of `all`, in that order.
ImageSet Subset(const ImageSet& all, const std::vector<size_t>& indices) {
  ImageSet out;
  out.rows = all.rows;
  out.cols = all.cols;
  out.channels = all.channels;
  const size_t bytes = all.ImageBytes();
  out.pixels.reserve(indices.size() * bytes);
  for (size_t k : indices) {
    out.pixels.insert(out.pixels.end(), all.pixels.begin() + k * bytes, all.pixels.begin() + (k + 1) * bytes);
    out.labels.push_back(all.labels[k]);
  }
  return out;
}

std::vector<size_t> FixedPermutation(size_t n) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(20201120));
  return order;
}

// One class name per non-empty line of `path`, or "0".."n-1" when the file is absent.
core::Result<std::vector<std::string>> ClassNamesFile(const fs::path& path, int count) {
  std::vector<std::string> names;
  if (std::ifstream in{path}) {
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      if (!line.empty()) names.push_back(line);
    }
    if (static_cast<int>(names.size()) != count) {
      return core::Error{path.string() + ": " + std::to_string(names.size()) + " class names, expected " +
                         std::to_string(count)};
    }
    return names;
  }
  for (int i = 0; i < count; ++i) names.push_back(std::to_string(i));
  return names;
}

std::string IdxFile(const fs::path& dir, const std::string& stem) {
  const fs::path plain = dir / stem;
  return fs::exists(plain) ? plain.string() : plain.string() + ".gz";
}

std::string DetectFormat(const fs::path& dir) {
  if (fs::exists(dir / "train-images-idx3-ubyte.gz") || fs::exists(dir / "train-images-idx3-ubyte")) return "idx";
  if (fs::exists(dir / "data_batch_1.bin")) return "cifar10";
  if (fs::exists(dir / "train.bin") && fs::exists(dir / "test.bin")) return "cifar100";
  return "folder";
}

struct Parts {
  std::vector<std::string> class_names;
  ImageSet all_train, test;
  bool has_test = true;
};

core::Result<Parts> ReadParts(const std::string& format, const fs::path& dir, const DatasetOptions& options) {
  Parts parts;
  if (format == "idx") {
    const int classes = 10;
    core::Result<ImageSet> train =
        ReadIdxPair(IdxFile(dir, "train-images-idx3-ubyte"), IdxFile(dir, "train-labels-idx1-ubyte"), classes);
    if (!train.ok()) return train.error();
    core::Result<ImageSet> test =
        ReadIdxPair(IdxFile(dir, "t10k-images-idx3-ubyte"), IdxFile(dir, "t10k-labels-idx1-ubyte"), classes);
    if (!test.ok()) return test.error();
    if (test.value().rows != train.value().rows || test.value().cols != train.value().cols) {
      return core::Error{IdxFile(dir, "t10k-images-idx3-ubyte") + ": " + std::to_string(test.value().rows) + "x" +
                         std::to_string(test.value().cols) + " images, but the training split's are " +
                         std::to_string(train.value().rows) + "x" + std::to_string(train.value().cols)};
    }
    parts.all_train = std::move(train).value();
    parts.test = std::move(test).value();
    for (int i = 0; i < classes; ++i) parts.class_names.push_back(std::to_string(i));
    return parts;
  }
  if (format == "cifar10" || format == "cifar100") {
    const bool ten = format == "cifar10";
    std::vector<std::string> train_files;
    if (ten) {
      for (int i = 1; i <= 5; ++i) train_files.push_back((dir / ("data_batch_" + std::to_string(i) + ".bin")).string());
    } else {
      train_files.push_back((dir / "train.bin").string());
    }
    const CifarKind kind = ten ? CifarKind::kCifar10 : CifarKind::kCifar100;
    core::Result<ImageSet> train = ReadCifarBatches(train_files, kind);
    if (!train.ok()) return train.error();
    core::Result<ImageSet> test = ReadCifarBatches({(dir / (ten ? "test_batch.bin" : "test.bin")).string()}, kind);
    if (!test.ok()) return test.error();
    core::Result<std::vector<std::string>> names =
        ClassNamesFile(dir / (ten ? "batches.meta.txt" : "fine_label_names.txt"), ten ? 10 : 100);
    if (!names.ok()) return names.error();
    parts.all_train = std::move(train).value();
    parts.test = std::move(test).value();
    parts.class_names = std::move(names).value();
    return parts;
  }
  if (format == "folder") {
    core::Result<ImageFolder> folder = ReadImageFolder(dir.string(), options.channels == 0 ? 3 : options.channels,
                                                       options.image_side, options.background);
    if (!folder.ok()) return folder.error();
    parts.class_names = folder.value().class_names;
    parts.all_train = std::move(folder.value().train);
    parts.has_test = folder.value().test.has_value();
    if (parts.has_test) parts.test = std::move(*folder.value().test);
    return parts;
  }
  return core::Error{"unknown data set format '" + format + "' (idx, cifar10, cifar100, folder)"};
}

}  // namespace

void SplitOffValidation(const ImageSet& all, int validation_size, ImageSet& train, ImageSet& validation) {
  const std::vector<size_t> order = FixedPermutation(all.size());
  const size_t cut = all.size() - static_cast<size_t>(validation_size);
  train = Subset(all, std::vector<size_t>(order.begin(), order.begin() + static_cast<int64_t>(cut)));
  validation = Subset(all, std::vector<size_t>(order.begin() + static_cast<int64_t>(cut), order.end()));
}

void Dataset::SetNormalization(const Normalization& n) {
  for (ImageSet* split : {&train, &validation, &test}) split->normalization = n;
}

Normalization ChannelStatistics(const ImageSet& set) {
  const int c = set.channels;
  std::vector<double> sum(c, 0), squares(c, 0);
  for (size_t i = 0; i < set.pixels.size(); ++i) {
    const double v = set.pixels[i] / 255.0;
    sum[i % c] += v;
    squares[i % c] += v * v;
  }
  const double n = set.pixels.empty() ? 1.0 : static_cast<double>(set.pixels.size() / c);
  Normalization out{std::vector<float>(c, 0), std::vector<float>(c, 0)};
  for (int k = 0; k < c; ++k) {
    const double m = sum[k] / n;
    out.mean[k] = static_cast<float>(m);
    out.std[k] = static_cast<float>(std::sqrt(std::max(squares[k] / n - m * m, 1e-12)));
  }
  return out;
}

std::vector<std::string> DescribeClasses(const Dataset& set) {
  const size_t classes = set.class_names.size();
  std::vector<std::string> lines;
  std::vector<int64_t> test_counts(classes, 0);
  for (const auto& [name, split] : {std::pair<const char*, const ImageSet*>{"train", &set.train},
                                    {"validation", &set.validation},
                                    {"test", &set.test}}) {
    std::vector<int64_t> counts(classes, 0);
    for (uint8_t label : split->labels) {
      if (label < classes) ++counts[label];
    }
    std::string line = std::string(name) + " images per class:";
    for (size_t c = 0; c < classes; ++c) line += " " + set.class_names[c] + " " + std::to_string(counts[c]);
    lines.push_back(line);
    if (std::string(name) == "test") test_counts = counts;
  }
  const auto majority = std::max_element(test_counts.begin(), test_counts.end());
  const int64_t test_images = static_cast<int64_t>(set.test.size());
  if (classes > 0 && test_images > 0) {
    char text[256];
    std::snprintf(text, sizeof(text), "baselines on the test split: majority class '%s' %.1f%%, chance %.1f%%",
                  set.class_names[static_cast<size_t>(majority - test_counts.begin())].c_str(),
                  100.0 * static_cast<double>(*majority) / static_cast<double>(test_images), 100.0 / classes);
    lines.push_back(text);
  }
  return lines;
}

std::string DataSetLabel(const std::string& spec) {
  const size_t colon = spec.find(':');
  const bool has_format = colon != std::string::npos && spec.find('/') > colon;
  fs::path path = fs::path(has_format ? spec.substr(colon + 1) : spec).lexically_normal();
  if (path.filename().empty()) path = path.parent_path();  // a trailing slash
  std::string label = path.filename().string();
  for (char& c : label) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  return label.empty() || label == "." || label == ".." ? "data" : label;
}

core::Result<Dataset> LoadDataset(const std::string& spec, const DatasetOptions& options) {
  const size_t colon = spec.find(':');
  const bool explicit_format = colon != std::string::npos && spec.find('/') > colon;
  const fs::path dir = explicit_format ? spec.substr(colon + 1) : spec;
  std::error_code error;
  if (fs::exists(dir, error) && !fs::is_directory(dir, error)) {
    return core::Error{dir.string() + ": is not a directory (a data set is a directory of its files)"};
  }
  if (!fs::is_directory(dir, error)) {
    const bool fashion_mnist = dir.string().find("fashion-mnist") != std::string::npos;
    return core::Error{dir.string() + ": no such data set directory" +
                       (fashion_mnist ? "; Fashion-MNIST comes from the Debian package dataset-fashion-mnist "
                                        "(apt-get install dataset-fashion-mnist)"
                                      : "")};
  }
  const std::string format = explicit_format ? spec.substr(0, colon) : DetectFormat(dir);
  core::Result<Parts> parts = ReadParts(format, dir, options);
  if (!parts.ok()) return parts.error();
  Parts& p = parts.value();
  Dataset set;
  set.source = format + ":" + dir.string();
  set.class_names = std::move(p.class_names);
  ImageSet pool = std::move(p.all_train);
  if (!p.has_test) {  // a seeded share of each folder's images held out for test
    const auto held_out =
        static_cast<int>(std::lround(options.folder_test_fraction * static_cast<double>(pool.size())));
    ImageSet rest;
    SplitOffValidation(pool, held_out, rest, set.test);
    pool = std::move(rest);
  } else {
    set.test = std::move(p.test);
  }
  int validation_size = options.validation_size;
  const double cap = options.max_validation_fraction * static_cast<double>(pool.size());
  if (options.max_validation_fraction > 0 && validation_size > cap) {
    validation_size = std::max(1, static_cast<int>(std::lround(cap)));
    core::Logger()->info("{}: validation_size {} is more than {:.0f}% of its {} training images: holding out {}",
                         set.source, options.validation_size, 100 * options.max_validation_fraction, pool.size(),
                         validation_size);
  }
  if (validation_size < 0 || static_cast<size_t>(validation_size) >= pool.size()) {
    return core::Error{set.source + ": " + std::to_string(pool.size()) + " training images; validation_size " +
                       std::to_string(validation_size) + " must be in [0, " + std::to_string(pool.size()) + ")"};
  }
  SplitOffValidation(pool, validation_size, set.train, set.validation);
  if (set.test.size() == 0) return core::Error{set.source + ": no test images"};
  for (const ImageSet* split : {&set.train, &set.validation, &set.test}) {
    for (uint8_t label : split->labels) {
      if (label >= set.class_names.size())
        return core::Error{set.source + ": label " + std::to_string(label) + " out of range"};
    }
  }
  set.SetNormalization(ChannelStatistics(set.train));
  return set;
}

}  // namespace kilonas::data
