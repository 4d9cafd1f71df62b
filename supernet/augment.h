// Training-time augmentation of Fashion-MNIST-style uint8 images: random translation (zero fill:
// the background is black), horizontal flip and random erasing, per image, from the trainer's
// seeded random stream.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

#include "supernet/fashion_mnist.h"
#include "supernet/train_config.h"

namespace kilonas::supernet {

// Random erasing (Zhong et al. 2017): fills a rectangle of 2-40% of the image's area, aspect
// 0.3-3.3, with random values; tries ten shapes and leaves the image alone when none fits.
void EraseRandomRectangle(uint8_t* image, int rows, int cols, std::mt19937& rng);

// Images `indices` of `set`, augmented as `config` says, as uint8 [N, rows * cols]. With erasing
// off the random stream is consumed as before erasing existed, so older runs resume bit for bit.
torch::Tensor AugmentedBatch(const ImageSet& set, const std::vector<int64_t>& indices, std::mt19937& rng,
                             const TrainConfig& config);

}  // namespace kilonas::supernet
