#include "data/idx.h"

#include <zlib.h>

#include <filesystem>

namespace kilonas::data {
namespace {

// The whole file, gunzipped when it is gzip (zlib reads plain files through unchanged).
core::Result<std::vector<uint8_t>> ReadMaybeGzip(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) return core::Error{path + ": not found"};
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file) return core::Error{path + ": cannot open"};
  std::vector<uint8_t> data;
  std::vector<uint8_t> chunk(1 << 16);
  int n = 0;
  while ((n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()))) > 0) {
    data.insert(data.end(), chunk.begin(), chunk.begin() + n);
  }
  const bool failed = n < 0;
  gzclose(file);
  if (failed) return core::Error{path + ": corrupt gzip stream"};
  return data;
}

uint32_t BigEndian(const std::vector<uint8_t>& d, size_t at) {
  return (uint32_t{d[at]} << 24) | (uint32_t{d[at + 1]} << 16) | (uint32_t{d[at + 2]} << 8) | d[at + 3];
}

}  // namespace

core::Result<ImageSet> ReadIdxPair(const std::string& images_path, const std::string& labels_path, int num_classes) {
  core::Result<std::vector<uint8_t>> images = ReadMaybeGzip(images_path);
  if (!images.ok()) return images.error();
  core::Result<std::vector<uint8_t>> labels = ReadMaybeGzip(labels_path);
  if (!labels.ok()) return labels.error();
  const std::vector<uint8_t>& im = images.value();
  const std::vector<uint8_t>& lb = labels.value();
  if (im.size() < 16 || BigEndian(im, 0) != 0x803)
    return core::Error{images_path + ": not an IDX image file (bad magic)"};
  if (lb.size() < 8 || BigEndian(lb, 0) != 0x801)
    return core::Error{labels_path + ": not an IDX label file (bad magic)"};
  const uint32_t count = BigEndian(im, 4), rows = BigEndian(im, 8), cols = BigEndian(im, 12);
  if (count == 0) return core::Error{images_path + ": declares 0 images"};
  if (rows == 0 || cols == 0 || rows > kMaxImageSide || cols > kMaxImageSide) {
    return core::Error{images_path + ": declares " + std::to_string(rows) + "x" + std::to_string(cols) +
                       " images; each side must be in [1, " + std::to_string(kMaxImageSide) + "]"};
  }
  const uint64_t pixels = static_cast<uint64_t>(count) * rows * cols;
  if (im.size() != 16 + pixels) {
    return core::Error{images_path + ": truncated (header says " + std::to_string(count) + " images)"};
  }
  if (BigEndian(lb, 4) != count || lb.size() != 8 + count) {
    return core::Error{labels_path + ": label count does not match " + images_path};
  }
  ImageSet set;
  set.rows = static_cast<int>(rows);
  set.cols = static_cast<int>(cols);
  set.channels = 1;
  set.pixels.assign(im.begin() + 16, im.end());
  set.labels.assign(lb.begin() + 8, lb.end());
  for (uint8_t label : set.labels) {
    if (label >= num_classes) {
      return core::Error{labels_path + ": label " + std::to_string(label) + " out of range 0.." +
                         std::to_string(num_classes - 1)};
    }
  }
  return set;
}

}  // namespace kilonas::data
