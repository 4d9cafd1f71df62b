#include "supernet/fashion_mnist.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

#include "data/idx.h"

namespace kilonas::supernet {
namespace {

core::Result<ImageSet> ReadPair(const std::string& dir, const std::string& prefix) {
  const std::string images_path = dir + "/" + prefix + "-images-idx3-ubyte.gz";
  const std::string labels_path = dir + "/" + prefix + "-labels-idx1-ubyte.gz";
  for (const std::string& path : {images_path, labels_path}) {
    if (!std::filesystem::exists(path)) {
      return core::Error{path + ": not found; Fashion-MNIST comes from the Debian package dataset-fashion-mnist "
                                "(apt-get install dataset-fashion-mnist)"};
    }
  }
  return data::ReadIdxPair(images_path, labels_path, 10);
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
  const size_t image_bytes = all.ImageBytes();
  ImageSet out;
  out.rows = all.rows;
  out.cols = all.cols;
  out.channels = all.channels;
  for (size_t i = first; i < last; ++i) {
    const size_t k = order[i];
    out.pixels.insert(out.pixels.end(), all.pixels.begin() + k * image_bytes, all.pixels.begin() + (k + 1) * image_bytes);
    out.labels.push_back(all.labels[k]);
  }
  return out;
}

core::Status CheckImagesFitSpace(const ImageSet& images, const core::OfaSpace& space, const std::string& source) {
  if (images.channels != space.in_channels) {
    return core::Status::Fail(source + ": images have " + std::to_string(images.channels) + " channel(s); space '" +
                              space.name + "' takes " + std::to_string(space.in_channels));
  }
  const int smallest = *std::min_element(space.resolution_choices.begin(), space.resolution_choices.end());
  if (images.rows != images.cols || images.rows < smallest) {
    return core::Status::Fail(source + ": images are " + std::to_string(images.rows) + "x" + std::to_string(images.cols) +
                              "; space '" + space.name + "' needs square images of at least " + std::to_string(smallest) +
                              "x" + std::to_string(smallest) + " (its smallest resolution)");
  }
  return core::Status::Ok();
}

}  // namespace kilonas::supernet
