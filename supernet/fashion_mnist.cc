#include "supernet/fashion_mnist.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

namespace kilonas::supernet {
namespace {

core::Result<std::vector<uint8_t>> ReadGzip(const std::string& path) {
  if (!std::filesystem::exists(path)) {
    return core::Error{path + ": not found; Fashion-MNIST comes from the Debian package dataset-fashion-mnist "
                              "(apt-get install dataset-fashion-mnist)"};
  }
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return core::Error{path + ": cannot open"};
  std::vector<uint8_t> data;
  std::vector<uint8_t> chunk(1 << 16);
  int n = 0;
  while ((n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) data.insert(data.end(), chunk.begin(), chunk.begin() + n);
  const bool failed = n < 0;
  gzclose(file);
  if (failed) return core::Error{path + ": corrupt gzip stream"};
  return data;
}

uint32_t BigEndian(const std::vector<uint8_t>& d, size_t at) {
  return (uint32_t{d[at]} << 24) | (uint32_t{d[at + 1]} << 16) | (uint32_t{d[at + 2]} << 8) | d[at + 3];
}

core::Result<ImageSet> ReadPair(const std::string& dir, const std::string& prefix) {
  const std::string images_path = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  core::Result<std::vector<uint8_t>> images = ReadGzip(images_path);
  if (!images.ok()) return images.error();
  core::Result<std::vector<uint8_t>> labels = ReadGzip(labels_path);
  if (!labels.ok()) return labels.error();
  const std::vector<uint8_t>& im = images.value();
  const std::vector<uint8_t>& lb = labels.value();
  if (im.size() < 16 || BigEndian(im, 0) != 0x803) return core::Error{images_path + ": not an IDX image file (bad magic)"};
  if (lb.size() < 8 || BigEndian(lb, 0) != 0x801) return core::Error{labels_path + ": not an IDX label file (bad magic)"};
  ImageSet set;
  const uint32_t count = BigEndian(im, 4), rows = BigEndian(im, 8), cols = BigEndian(im, 12);
  if (count == 0) return core::Error{images_path + ": declares 0 images"};
  if (rows == 0 || cols == 0 || rows > kMaxImageSide || cols > kMaxImageSide) {
    return core::Error{images_path + ": declares " + std::to_string(rows) + "x" + std::to_string(cols) +
                       " images; each side must be in [1, " + std::to_string(kMaxImageSide) + "]"};
  }
  set.rows = static_cast<int>(rows);
  set.cols = static_cast<int>(cols);
  const uint64_t pixels = static_cast<uint64_t>(count) * rows * cols;
  if (im.size() != 16 + pixels) return core::Error{images_path + ": truncated (header says " + std::to_string(count) + " images)"};
  if (BigEndian(lb, 4) != count || lb.size() != 8 + count) {
    return core::Error{labels_path + ": label count does not match " + images_path};
  }
  set.pixels.assign(im.begin() + 16, im.end());
  set.labels.assign(lb.begin() + 8, lb.end());
  for (uint8_t label : set.labels) {
    if (label > 9) return core::Error{labels_path + ": label " + std::to_string(label) + " out of range 0..9"};
  }
  return set;
}

}  // namespace

core::Result<ImageSet> LoadFashionMnist(const std::string& dir, Split split, int validation_size) {
  if (!std::filesystem::is_directory(dir)) {
    return core::Error{dir + ": no such directory; Fashion-MNIST comes from the Debian package dataset-fashion-mnist "
                             "(apt-get install dataset-fashion-mnist)"};
  }
  if (split == Split::kTest) return ReadPair(dir, "t10k");
  core::Result<ImageSet> train = ReadPair(dir, "train");
  if (!train.ok()) return train;
  const ImageSet& all = train.value();
  if (validation_size < 0 || static_cast<size_t>(validation_size) >= all.size()) {
    return core::Error{dir + ": " + std::to_string(all.size()) + " training images; validation_size " +
                       std::to_string(validation_size) + " must be in [0, " + std::to_string(all.size()) + ")"};
  }
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(20201120));
  const size_t first = split == Split::kValidation ? all.size() - validation_size : 0;
  const size_t last = split == Split::kValidation ? all.size() : all.size() - validation_size;
  const size_t image_bytes = static_cast<size_t>(all.rows) * all.cols;
  ImageSet out;
  out.rows = all.rows;
  out.cols = all.cols;
  for (size_t i = first; i < last; ++i) {
    const size_t k = order[i];
    out.pixels.insert(out.pixels.end(), all.pixels.begin() + k * image_bytes, all.pixels.begin() + (k + 1) * image_bytes);
    out.labels.push_back(all.labels[k]);
  }
  return out;
}

core::Status CheckImagesFitSpace(const ImageSet& images, const core::OfaSpace& space, const std::string& source) {
  const int smallest = *std::min_element(space.resolution_choices.begin(), space.resolution_choices.end());
  if (images.rows != images.cols || images.rows < smallest) {
    return core::Status::Fail(source + ": images are " + std::to_string(images.rows) + "x" + std::to_string(images.cols) +
                              "; space '" + space.name + "' needs square images of at least " + std::to_string(smallest) +
                              "x" + std::to_string(smallest) + " (its smallest resolution)");
  }
  return core::Status::Ok();
}

}  // namespace kilonas::supernet
