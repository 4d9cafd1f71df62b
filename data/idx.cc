#include "data/idx.h"

#include <zlib.h>

#include <algorithm>
#include <filesystem>

namespace kilonas::data {
namespace {

// Bytes of a file, gunzipped when it is gzip (zlib reads plain files through unchanged), read in
// the amounts the caller asks for: the header first, then exactly what it declares, so that
// memory follows the declared size and a stream that inflates beyond it is caught at once.
class IdxReader {
 public:
  static core::Result<IdxReader> Open(const std::string& path) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return core::Error{path + ": not found (or not a regular file)"};
    gzFile file = gzopen(path.c_str(), "rb");
    if (!file) return core::Error{path + ": cannot open"};
    return IdxReader(path, file);
  }
  IdxReader(IdxReader&& other) noexcept : path_(std::move(other.path_)), file_(other.file_) { other.file_ = nullptr; }
  IdxReader(const IdxReader&) = delete;
  IdxReader& operator=(const IdxReader&) = delete;
  ~IdxReader() {
    if (file_) gzclose(file_);
  }

  // Appends up to `n` bytes to `out`; fails on a corrupt stream. Returns the bytes appended.
  core::Result<uint64_t> Read(uint64_t n, std::vector<uint8_t>& out) {
    const size_t start = out.size();
    out.resize(start + n);
    uint64_t done = 0;
    while (done < n) {
      const unsigned want = static_cast<unsigned>(std::min<uint64_t>(n - done, 1u << 20));
      const int got = gzread(file_, out.data() + start + done, want);
      if (got < 0) return core::Error{path_ + ": corrupt gzip stream"};
      if (got == 0) break;
      done += static_cast<uint64_t>(got);
    }
    out.resize(start + done);
    return done;
  }

  bool AtEnd() {
    uint8_t byte = 0;
    return gzread(file_, &byte, 1) <= 0;
  }

 private:
  IdxReader(std::string path, gzFile file) : path_(std::move(path)), file_(file) {}
  std::string path_;
  gzFile file_ = nullptr;
};

uint32_t BigEndian(const std::vector<uint8_t>& d, size_t at) {
  return (uint32_t{d[at]} << 24) | (uint32_t{d[at + 1]} << 16) | (uint32_t{d[at + 2]} << 8) | d[at + 3];
}

// Reads `header` bytes, checks the magic, then the body of `body_bytes(header)` bytes exactly.
template <typename BodyBytes>
core::Result<std::vector<uint8_t>> ReadIdx(const std::string& path, size_t header, uint32_t magic, const char* kind,
                                           BodyBytes body_bytes) {
  core::Result<IdxReader> reader = IdxReader::Open(path);
  if (!reader.ok()) return reader.error();
  std::vector<uint8_t> data;
  core::Result<uint64_t> got = reader.value().Read(header, data);
  if (!got.ok()) return got.error();
  if (got.value() < header || BigEndian(data, 0) != magic) {
    return core::Error{path + ": not an IDX " + kind + " file (bad magic)"};
  }
  core::Result<uint64_t> body = body_bytes(data);
  if (!body.ok()) return body.error();
  got = reader.value().Read(body.value(), data);
  if (!got.ok()) return got.error();
  if (got.value() < body.value()) {
    return core::Error{path + ": truncated (" + std::to_string(got.value()) + " of the " +
                       std::to_string(body.value()) + " bytes its header declares)"};
  }
  if (!reader.value().AtEnd()) return core::Error{path + ": more data than its header declares"};
  return data;
}

}  // namespace

core::Result<ImageSet> ReadIdxPair(const std::string& images_path, const std::string& labels_path, int num_classes) {
  uint32_t count = 0, rows = 0, cols = 0;
  core::Result<std::vector<uint8_t>> images =
      ReadIdx(images_path, 16, 0x803, "image", [&](const std::vector<uint8_t>& h) -> core::Result<uint64_t> {
        count = BigEndian(h, 4), rows = BigEndian(h, 8), cols = BigEndian(h, 12);
        if (count == 0) return core::Error{images_path + ": declares 0 images"};
        if (rows == 0 || cols == 0 || rows > kMaxImageSide || cols > kMaxImageSide) {
          return core::Error{images_path + ": declares " + std::to_string(rows) + "x" + std::to_string(cols) +
                             " images; each side must be in [1, " + std::to_string(kMaxImageSide) + "]"};
        }
        const uint64_t pixels = static_cast<uint64_t>(count) * rows * cols;
        if (pixels > kMaxIdxBytes) {
          return core::Error{images_path + ": declares " + std::to_string(count) + " images of " +
                             std::to_string(rows) + "x" + std::to_string(cols) + " (" + std::to_string(pixels) +
                             " bytes), more than the " + std::to_string(kMaxIdxBytes) + " a data set may have"};
        }
        return pixels;
      });
  if (!images.ok()) return images.error();
  core::Result<std::vector<uint8_t>> labels =
      ReadIdx(labels_path, 8, 0x801, "label", [&](const std::vector<uint8_t>& h) -> core::Result<uint64_t> {
        if (BigEndian(h, 4) != count) return core::Error{labels_path + ": label count does not match " + images_path};
        return uint64_t{count};
      });
  if (!labels.ok()) return labels.error();
  const std::vector<uint8_t>& im = images.value();
  const std::vector<uint8_t>& lb = labels.value();
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
