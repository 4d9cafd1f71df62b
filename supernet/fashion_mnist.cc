#include "supernet/fashion_mnist.h"

#include <algorithm>
#include <filesystem>
#include <numeric>
#include <random>

#include "data/dataset.h"
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
  ImageSet train_part, validation_part;
  data::SplitOffValidation(all, validation_size, train_part, validation_part);
  return split == Split::kValidation ? validation_part : train_part;
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
