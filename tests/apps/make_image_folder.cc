// make_image_folder <dir> <classes> <images per class>: a small RGB image-folder data set for the
// end-to-end test, <dir>/<class>/<n>.{png,jpg}. Each class has its own colour and stripe
// direction under noise (learnable in an epoch); sizes alternate between 40x40 and 36x30 (resized
// by the reader), every fifth image is grayscale (converted to RGB), formats alternate PNG / JPEG.
#include <stb/stb_image_write.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: make_image_folder <dir> <classes> <images per class>\n");
    return 2;
  }
  const std::string root = argv[1];
  const int classes = std::atoi(argv[2]), per_class = std::atoi(argv[3]);
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> noise(-40, 40);
  for (int k = 0; k < classes; ++k) {
    const std::string dir = root + "/class_" + std::string(1, static_cast<char>('a' + k));
    std::filesystem::create_directories(dir);
    for (int n = 0; n < per_class; ++n) {
      const bool square = n % 2 == 0, gray = n % 5 == 4;
      const int w = square ? 40 : 36, h = square ? 40 : 30, channels = gray ? 1 : 3;
      std::vector<unsigned char> pixels(static_cast<size_t>(w) * h * channels);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          const bool stripe = ((k % 2 == 0 ? x : y) / 4 + k) % 2 == 0;
          for (int c = 0; c < channels; ++c) {
            const int base = (gray ? 60 + 50 * k : (c == k % 3 ? 200 : 50)) + (stripe ? 40 : -40);
            pixels[(static_cast<size_t>(y) * w + x) * channels + c] =
                static_cast<unsigned char>(std::clamp(base + noise(rng), 0, 255));
          }
        }
      }
      const std::string path = dir + "/" + std::to_string(n) + (n % 3 == 2 ? ".jpg" : ".png");
      const int ok = n % 3 == 2 ? stbi_write_jpg(path.c_str(), w, h, channels, pixels.data(), 90)
                                : stbi_write_png(path.c_str(), w, h, channels, pixels.data(), w * channels);
      if (ok == 0) {
        std::fprintf(stderr, "make_image_folder: cannot write %s\n", path.c_str());
        return 1;
      }
    }
  }
  std::printf("wrote %d classes x %d images under %s\n", classes, per_class, root.c_str());
  return 0;
}
