// Training-time augmentation of uint8 HWC images (1 or 3 channels): random translation (zero
// fill: black), horizontal flip and random erasing, per image, each image from its own seeded
// generator.
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

// Images `indices` of `set`, augmented as `config` says, as uint8 [N, ImageBytes()]. Image i's
// random draws come from its own generator, seeded by `stream` and its position
// first_position + i in the global batch: a batch cut into shards (one per rank) is augmented
// exactly as the whole batch in one process.
torch::Tensor AugmentedBatch(const ImageSet& set, const std::vector<int64_t>& indices, uint64_t stream,
                             int64_t first_position, const TrainConfig& config);

// The augmentation stream of a training step (every rank derives the same one).
uint64_t AugmentStream(uint64_t seed, int64_t epoch, int64_t step);
uint64_t SplitMix64(uint64_t x);  // a 64-bit mixing function (Steele et al.'s SplitMix)

}  // namespace kilonas::supernet
