#include "supernet/augment.h"

#include <algorithm>
#include <cmath>

namespace kilonas::supernet {

void EraseRandomRectangle(uint8_t* image, int rows, int cols, int channels, std::mt19937& rng) {
  std::uniform_real_distribution<double> area(0.02, 0.4), log_aspect(std::log(0.3), std::log(1 / 0.3));
  std::uniform_int_distribution<int> value(0, 255);
  for (int attempt = 0; attempt < 10; ++attempt) {
    const double target = area(rng) * rows * cols, aspect = std::exp(log_aspect(rng));
    const int h = static_cast<int>(std::lround(std::sqrt(target * aspect)));
    const int w = static_cast<int>(std::lround(std::sqrt(target / aspect)));
    if (h < 1 || w < 1 || h > rows || w > cols) continue;
    const int top = std::uniform_int_distribution<int>(0, rows - h)(rng);
    const int left = std::uniform_int_distribution<int>(0, cols - w)(rng);
    for (int y = top; y < top + h; ++y) {
      for (int x = left * channels; x < (left + w) * channels; ++x)
        image[y * cols * channels + x] = static_cast<uint8_t>(value(rng));
    }
    return;
  }
}

uint64_t AugmentStream(uint64_t seed, int64_t epoch, int64_t step) {
  return SplitMix64(SplitMix64(SplitMix64(seed) ^ static_cast<uint64_t>(epoch)) ^ static_cast<uint64_t>(step));
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

torch::Tensor AugmentedBatch(const ImageSet& set, const std::vector<int64_t>& indices, uint64_t stream,
                             int64_t first_position, const TrainConfig& config) {
  const int rows = set.rows, cols = set.cols, channels = set.channels;
  const auto bytes = static_cast<int64_t>(set.ImageBytes());
  torch::Tensor out = torch::zeros({static_cast<int64_t>(indices.size()), bytes}, torch::kUInt8);
  uint8_t* dst = out.data_ptr<uint8_t>();
  std::uniform_int_distribution<int> offset(-config.augment_shift, config.augment_shift);
  std::uniform_real_distribution<double> unit(0, 1);
  for (size_t i = 0; i < indices.size(); ++i) {
    std::mt19937 rng(
        static_cast<uint32_t>(SplitMix64(stream ^ static_cast<uint64_t>(first_position + static_cast<int64_t>(i)))));
    const uint8_t* src = set.pixels.data() + indices[i] * bytes;
    const int dy = offset(rng), dx = offset(rng);
    const bool mirror = config.augment_flip && (rng() & 1u);
    uint8_t* image = dst + static_cast<int64_t>(i) * bytes;
    for (int y = 0; y < rows; ++y) {
      const int sy = y - dy;
      if (sy < 0 || sy >= rows) continue;
      for (int x = 0; x < cols; ++x) {
        const int sx = (mirror ? cols - 1 - x : x) - dx;
        if (sx >= 0 && sx < cols)
          std::copy_n(src + (sy * cols + sx) * channels, channels, image + (y * cols + x) * channels);
      }
    }
    if (config.augment_erase > 0 && unit(rng) < config.augment_erase)
      EraseRandomRectangle(image, rows, cols, channels, rng);
  }
  return out;
}

}  // namespace kilonas::supernet
