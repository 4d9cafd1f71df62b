// A folder of one's own images: root/<class>/*.{png,jpg,jpeg,bmp,ppm,pgm}, or root/train/<class>/
// and root/test/<class>/. Classes are the sorted subfolder names (labels in that order). Images
// are decoded with stb_image (libstb-dev), converted to `channels` (grayscale luminance or RGB)
// and resized once, bilinearly, to side x side: every later step (training, evaluation,
// calibration, the firmware's test input) starts from the same pixels.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "data/image_set.h"

namespace kilonas::data {

struct ImageFolder {
  std::vector<std::string> class_names;
  ImageSet train;
  std::optional<ImageSet> test;  // when the folder is split into train/ and test/
};

// Errors name the folder or file: a missing root, no class folders, a class without images, an
// image that does not decode (with stb's reason), a test class absent from train/, more than 256
// classes.
core::Result<ImageFolder> ReadImageFolder(const std::string& root, int channels, int side);

// Bilinear resize (pixel centres aligned, as torch's align_corners=false) of an HWC image.
std::vector<uint8_t> ResizeBilinear(const uint8_t* pixels, int rows, int cols, int channels, int out_rows,
                                    int out_cols);

}  // namespace kilonas::data
