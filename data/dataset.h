// A data set as the pipeline uses it: train / validation / test splits of one image size and
// channel count, class names, and per-channel mean and standard deviation of the training split
// (what inputs are normalised with; stored with a checkpoint). Formats, by directory content or
// an explicit "format:path":
//   idx:DIR      <prefix>-images-idx3-ubyte[.gz] + <prefix>-labels-idx1-ubyte[.gz] for train
//                and t10k (the MNIST family; Fashion-MNIST from dataset-fashion-mnist)
//   cifar10:DIR  data_batch_1..5.bin, test_batch.bin [, batches.meta.txt]
//   cifar100:DIR train.bin, test.bin [, fine_label_names.txt]
//   folder:DIR   an image folder (data/image_folder.h)
#pragma once

#include <array>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/image_set.h"

namespace kilonas::data {

struct DatasetOptions {
  int validation_size = 10000;        // taken from the training images with a fixed permutation
  int channels = 0;                   // image folders: 1 or 3 (0: 3); other formats have theirs
  int image_side = 32;                // image folders: every image resized to this square
  double folder_test_fraction = 0.2;  // image folders without test/: the share held out for test
  // Image folders: transparent pixels are composited over this RGB colour (icons, logos and
  // sprites keep their shape in the alpha channel; dropping it would leave a uniform block).
  std::array<uint8_t, 3> background = {255, 255, 255};
  // When validation_size is more than this share of the training images (a small folder under a
  // config sized for 60,000 images), this share is held out instead, and the log says so. 0: the
  // size is taken as given, and one too large is an error.
  double max_validation_fraction = 0;
};

struct Dataset {
  std::string source;  // "format:path"
  std::vector<std::string> class_names;
  ImageSet train, validation, test;  // each normalised with the training split's statistics
  int channels() const { return train.channels; }
  int num_classes() const { return static_cast<int>(class_names.size()); }
  const Normalization& normalization() const { return train.normalization; }
  // Every split normalised with `n` instead (a checkpoint's statistics).
  void SetNormalization(const Normalization& n);
};

// What a newcomer needs to judge an accuracy: images per class in each split, the majority
// class's share of the test split (what always answering it scores) and chance (1 / classes),
// as log lines.
std::vector<std::string> DescribeClasses(const Dataset& set);

// Fashion-MNIST as Debian's dataset-fashion-mnist installs it: the default data set.
inline constexpr const char* kDefaultDataSpec = "/usr/share/datasets/fashion-mnist";

core::Result<Dataset> LoadDataset(const std::string& spec, const DatasetOptions& options = {});

// A short name of a data set spec for folder names: its directory's last component ("format:"
// dropped), in [A-Za-z0-9._-] ("/data/My Icons/" -> "My_Icons").
std::string DataSetLabel(const std::string& spec);

// The fixed permutation (seed 20201120) that splits training images into train and validation:
// the last `validation_size` of it are the validation split. Fashion-MNIST's split since the
// first release, kept so that results stay comparable.
void SplitOffValidation(const ImageSet& all, int validation_size, ImageSet& train, ImageSet& validation);

// Per-channel mean and standard deviation of a set's pixels, scaled to [0, 1].
Normalization ChannelStatistics(const ImageSet& set);

}  // namespace kilonas::data
