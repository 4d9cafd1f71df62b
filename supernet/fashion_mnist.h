// Fashion-MNIST from Debian's dataset-fashion-mnist package (IDX files, gzip), with a fixed
// validation split of the training set for the search; the test set is for final numbers only.
// No LibTorch here: the engine's int8 evaluation reads the same data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/ofa_space.h"
#include "core/status.h"
#include "data/image_set.h"

namespace kilonas::supernet {

inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

using data::ImageSet;
using data::kMaxImageSide;

enum class Split { kTrain, kValidation, kTest };

// Reads `split` from `dir`. Train and validation partition the 60,000 training images with a
// fixed permutation (seed 20201120): the last `validation_size` of it are the validation split.
// A missing directory or file is an error naming it and the Debian package that installs it;
// a corrupt file names the file and what is wrong.
core::Result<ImageSet> LoadFashionMnist(const std::string& dir, Split split, int validation_size = 10000);

// An error naming `source` unless the images are square and at least the smallest resolution the
// space resizes them to (1x1 images would train silently on meaningless upsampled blurs).
core::Status CheckImagesFitSpace(const ImageSet& images, const core::OfaSpace& space, const std::string& source);

}  // namespace kilonas::supernet
