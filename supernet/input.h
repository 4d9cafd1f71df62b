// From a data set's 8-bit images to the network's input, one path for training, evaluation,
// calibration and the firmware's test input: HWC pixels -> float NCHW normalised with the set's
// statistics (data::Normalization) -> resized bilinearly to the subnet's resolution.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "core/ofa_space.h"
#include "core/status.h"
#include "data/image_set.h"

namespace kilonas::supernet {

using data::ImageSet;
using data::kMaxImageSide;

// Images `indices` of a set as a uint8 tensor [count, ImageBytes()] (HWC) and their labels.
torch::Tensor ImagesTensor(const ImageSet& set, const std::vector<int64_t>& indices);
torch::Tensor LabelsTensor(const ImageSet& set, const std::vector<int64_t>& indices);

// uint8 images [N, ImageBytes()] of `set`'s shape -> normalised float [N, channels, resolution,
// resolution], with `set`'s normalisation.
torch::Tensor ToInput(const torch::Tensor& images_u8, const ImageSet& set, int resolution);
torch::Tensor ToInput(const ImageSet& set, const std::vector<int64_t>& indices, int resolution);

// An error naming `source` unless the images have the space's channel count, are square and at
// least the smallest resolution the space resizes them to (1x1 images would train silently on
// meaningless upsampled blurs), and carry a normalisation of one mean and std per channel.
core::Status CheckImagesFitSpace(const ImageSet& images, const core::OfaSpace& space, const std::string& source);

}  // namespace kilonas::supernet
