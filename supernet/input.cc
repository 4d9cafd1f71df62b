#include "supernet/input.h"

#include <algorithm>

namespace kilonas::supernet {
namespace F = torch::nn::functional;

torch::Tensor ImagesTensor(const ImageSet& set, const std::vector<int64_t>& indices) {
  const auto image_bytes = static_cast<int64_t>(set.ImageBytes());
  torch::Tensor out = torch::empty({static_cast<int64_t>(indices.size()), image_bytes}, torch::kUInt8);
  uint8_t* dst = out.data_ptr<uint8_t>();
  for (size_t i = 0; i < indices.size(); ++i) {
    std::copy_n(set.pixels.data() + indices[i] * image_bytes, image_bytes, dst + i * image_bytes);
  }
  return out;
}

torch::Tensor LabelsTensor(const ImageSet& set, const std::vector<int64_t>& indices) {
  torch::Tensor out = torch::empty({static_cast<int64_t>(indices.size())}, torch::kInt64);
  for (size_t i = 0; i < indices.size(); ++i) out[static_cast<int64_t>(i)] = set.labels[indices[i]];
  return out;
}

torch::Tensor ToInput(const torch::Tensor& images_u8, const ImageSet& set, int resolution) {
  const data::Normalization& n = set.normalization;
  TORCH_CHECK(static_cast<int>(n.mean.size()) == set.channels && static_cast<int>(n.std.size()) == set.channels,
              "image set without a normalisation for its ", set.channels, " channel(s)");
  torch::Tensor x = images_u8.to(torch::kFloat32).div(255.0).reshape({-1, set.rows, set.cols, set.channels});
  if (set.channels == 1) {
    // Scalars, as the project always normalised grayscale: bit-exact with earlier checkpoints' runs.
    x = x.sub(static_cast<double>(n.mean[0])).div(static_cast<double>(n.std[0])).reshape({-1, 1, set.rows, set.cols});
  } else {
    x = x.sub(torch::tensor(n.mean)).div(torch::tensor(n.std)).permute({0, 3, 1, 2}).contiguous();
  }
  if (resolution == set.rows && resolution == set.cols) return x;
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{resolution, resolution})
                               .mode(torch::kBilinear)
                               .align_corners(false));
}

torch::Tensor ToInput(const ImageSet& set, const std::vector<int64_t>& indices, int resolution) {
  return ToInput(ImagesTensor(set, indices), set, resolution);
}

core::Status CheckImagesFitSpace(const ImageSet& images, const core::OfaSpace& space, const std::string& source) {
  if (images.channels != space.in_channels) {
    return core::Status::Fail(source + ": images have " + std::to_string(images.channels) + " channel(s); space '" +
                              space.name + "' takes " + std::to_string(space.in_channels));
  }
  const int smallest = *std::min_element(space.resolution_choices.begin(), space.resolution_choices.end());
  if (images.rows != images.cols || images.rows < smallest) {
    return core::Status::Fail(source + ": images are " + std::to_string(images.rows) + "x" +
                              std::to_string(images.cols) + "; space '" + space.name +
                              "' needs square images of at least " + std::to_string(smallest) + "x" +
                              std::to_string(smallest) + " (its smallest resolution)");
  }
  const data::Normalization& n = images.normalization;
  if (static_cast<int>(n.mean.size()) != images.channels || static_cast<int>(n.std.size()) != images.channels) {
    return core::Status::Fail(source + ": the normalisation has " + std::to_string(n.mean.size()) + " mean(s) and " +
                              std::to_string(n.std.size()) + " std(s) for " + std::to_string(images.channels) +
                              " channel(s)");
  }
  for (float s : n.std) {
    if (!(s > 0))
      return core::Status::Fail(source + ": a channel's standard deviation is " + std::to_string(s) +
                                " (constant images?)");
  }
  return core::Status::Ok();
}

}  // namespace kilonas::supernet
