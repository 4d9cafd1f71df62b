// Training-time augmentation of uint8 HWC images (1 or 3 channels): random translation (zero
// fill: black), horizontal flip and random erasing, per image, from the trainer's seeded random
// stream.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

#include "supernet/input.h"
#include "supernet/train_config.h"

namespace kilonas::supernet {

// Random erasing (Zhong et al. 2017): fills a rectangle of 2-40% of the image's area, aspect
// 0.3-3.3, with random values (per channel); tries ten shapes and leaves the image alone when
// none fits. `image` is HWC.
void EraseRandomRectangle(uint8_t* image, int rows, int cols, int channels, std::mt19937& rng);

// Images `indices` of `set`, augmented as `config` says, as uint8 [N, ImageBytes()]. With erasing
// off the random stream is consumed as before erasing existed, so older runs resume bit for bit.
torch::Tensor AugmentedBatch(const ImageSet& set, const std::vector<int64_t>& indices, std::mt19937& rng,
                             const TrainConfig& config);

}  // namespace kilonas::supernet
