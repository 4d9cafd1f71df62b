// A folder of one's own images: root/<class>/*.{png,jpg,jpeg,bmp,ppm,pgm}, or root/train/<class>/
// and root/test/<class>/. Classes are the sorted subfolder names (labels in that order). Images
// are decoded with stb_image (libstb-dev), converted to `channels` (grayscale luminance or RGB)
// and resized once, bilinearly, to side x side: every later step (training, evaluation,
// calibration, the firmware's test input) starts from the same pixels.
#pragma once

#include <array>
#include <cstdint>
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
  int64_t composited = 0;        // images with an alpha channel, composited over the background
  int64_t uniform = 0;           // images that came out (nearly) one colour: a sign of lost content
};

// Images whose pixel values all lie within this range of each other count as uniform.
inline constexpr int kUniformRange = 8;

// Errors name the folder or file: a missing root, no class folders, a class without images, an
// image that does not decode (with stb's reason), a test class absent from train/, more than 256
// classes.
// Transparent images (grey + alpha, RGBA) are composited over `background` (RGB) first; the log
// says how many, and warns when more than a fifth of the images came out uniform.
core::Result<ImageFolder> ReadImageFolder(const std::string& root, int channels, int side,
                                          std::array<uint8_t, 3> background = {255, 255, 255});

// One image file as a folder's image is read: checked, decoded to `channels`, transparency
// composited over `background`, resized to side x side (HWC).
core::Result<std::vector<uint8_t>> DecodeImageFile(const std::string& path, int channels, int side,
                                                   std::array<uint8_t, 3> background = {255, 255, 255});

// Bilinear resize (pixel centres aligned, as torch's align_corners=false) of an HWC image.
std::vector<uint8_t> ResizeBilinear(const uint8_t* pixels, int rows, int cols, int channels, int out_rows,
                                    int out_cols);

}  // namespace kilonas::data
