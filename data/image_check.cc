#include "data/image_check.h"

#include <stb/stb_image.h>
#include <zlib.h>

#include <cctype>
#include <vector>

namespace kilonas::data {
namespace {

uint32_t BigEndian32(const std::string& b, size_t at) {
  return static_cast<uint32_t>(static_cast<uint8_t>(b[at])) << 24 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 1])) << 16 |
         static_cast<uint32_t>(static_cast<uint8_t>(b[at + 2])) << 8 | static_cast<uint8_t>(b[at + 3]);
}

uint32_t LittleEndian(const std::string& b, size_t at, int bytes) {
  uint32_t v = 0;
  for (int i = bytes - 1; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(b[at + static_cast<size_t>(i)]);
  return v;
}

bool StartsWith(const std::string& bytes, const std::string& magic) {
  return bytes.compare(0, magic.size(), magic) == 0;
}

// Inflates the concatenated IDAT data, discarding the output: zlib checks the stream and its
// Adler-32; more than `limit` bytes out means the stream does not match the declared size.
core::Status InflatesWithin(const std::string& path, const std::string& idat, uint64_t limit) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) return core::Status::Fail(path + ": zlib cannot start");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(idat.data()));
  z.avail_in = static_cast<uInt>(idat.size());
  std::vector<Bytef> out(1 << 16);
  int code = Z_OK;
  while (code == Z_OK) {
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    code = inflate(&z, Z_NO_FLUSH);
    if (z.total_out > limit) code = Z_MEM_ERROR;
    if (code == Z_BUF_ERROR && z.avail_in == 0) break;  // the stream ended early
  }
  const std::string reason = z.msg ? z.msg : "";
  const uint64_t produced = z.total_out;
  inflateEnd(&z);
  if (code == Z_STREAM_END) return core::Status::Ok();
  if (produced > limit) return core::Status::Fail(path + ": PNG image data inflates beyond its declared size");
  return core::Status::Fail(path + ": damaged PNG image data (" + (reason.empty() ? "truncated" : reason) + ")");
}

core::Status CheckPng(const std::string& path, const std::string& b) {
  size_t at = 8;
  std::string idat;
  uint64_t width = 0, height = 0;
  bool ended = false;
  while (!ended) {
    if (b.size() - at < 12) return core::Status::Fail(path + ": truncated PNG (no IEND chunk)");
    const uint64_t length = BigEndian32(b, at);
    if (length > b.size() - at - 12) return core::Status::Fail(path + ": truncated PNG (a chunk runs past the end)");
    const std::string type = b.substr(at + 4, 4);
    const uint32_t stored = BigEndian32(b, at + 8 + length);
    const uint32_t computed = static_cast<uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(b.data() + at + 4), static_cast<uInt>(length + 4)));
    if (stored != computed) return core::Status::Fail(path + ": damaged PNG (CRC mismatch in chunk " + type + ")");
    if (type == "IHDR" && length >= 8) {
      width = BigEndian32(b, at + 8);
      height = BigEndian32(b, at + 12);
    }
    if (type == "IDAT") idat.append(b, at + 8, length);
    ended = type == "IEND";
    at += 12 + length;
  }
  if (width == 0 || height == 0) return core::Status::Fail(path + ": PNG without a valid IHDR chunk");
  if (width * height > static_cast<uint64_t>(kMaxImagePixels)) return core::Status::Ok();  // refused by the caller
  // Up to 16 bits x 4 channels per pixel, one filter byte per row, and Adam7's extra rows.
  return InflatesWithin(path, idat, 2 * (height * (1 + 8 * width)) + 1024);
}

// Binary PGM (P5) and PPM (P6): header tokens, then maxval, then exactly the pixel bytes.
core::Status CheckPnm(const std::string& path, const std::string& b) {
  size_t at = 2;
  uint64_t fields[3] = {0, 0, 0};
  for (uint64_t& field : fields) {
    while (at < b.size() && (std::isspace(static_cast<unsigned char>(b[at])) || b[at] == '#')) {
      if (b[at] == '#') {
        while (at < b.size() && b[at] != '\n') ++at;
      } else {
        ++at;
      }
    }
    if (at >= b.size() || !std::isdigit(static_cast<unsigned char>(b[at]))) {
      return core::Status::Fail(path + ": malformed PNM header");
    }
    for (; at < b.size() && std::isdigit(static_cast<unsigned char>(b[at])) && field < (1u << 30); ++at) {
      field = field * 10 + static_cast<uint64_t>(b[at] - '0');
    }
  }
  const uint64_t width = fields[0], height = fields[1], maxval = fields[2];
  if (maxval < 1 || maxval > 65535) {
    return core::Status::Fail(path + ": PNM maxval " + std::to_string(maxval) + " (must be 1..65535)");
  }
  if (width == 0 || height == 0) return core::Status::Fail(path + ": PNM declares no pixels");
  if (width * height > static_cast<uint64_t>(kMaxImagePixels)) return core::Status::Ok();  // refused by the caller
  const uint64_t need = width * height * (b[1] == '6' ? 3 : 1) * (maxval > 255 ? 2 : 1);
  const uint64_t have = at < b.size() ? b.size() - at - 1 : 0;  // one whitespace byte ends the header
  if (have < need) {
    return core::Status::Fail(path + ": truncated PNM: declares " + std::to_string(width) + "x" +
                              std::to_string(height) + " (" + std::to_string(need) + " bytes of pixels), has " +
                              std::to_string(have));
  }
  return core::Status::Ok();
}

// Uncompressed BMP (BI_RGB, BI_BITFIELDS): the rows the header declares must be in the file.
core::Status CheckBmp(const std::string& path, const std::string& b) {
  if (b.size() < 30) return core::Status::Fail(path + ": truncated BMP header");
  const uint64_t offset = LittleEndian(b, 10, 4);
  const int64_t width = static_cast<int32_t>(LittleEndian(b, 18, 4));
  const int64_t height = static_cast<int32_t>(LittleEndian(b, 22, 4));
  const uint64_t bits = LittleEndian(b, 28, 2);
  const uint64_t compression = b.size() >= 34 ? LittleEndian(b, 30, 4) : 0;
  if (offset >= b.size()) return core::Status::Fail(path + ": truncated BMP (pixel data starts past the end)");
  if (compression != 0 && compression != 3) return core::Status::Ok();  // run-length data: stb checks its codes
  const uint64_t w = static_cast<uint64_t>(width < 0 ? -width : width);
  const uint64_t h = static_cast<uint64_t>(height < 0 ? -height : height);
  if (w * h > static_cast<uint64_t>(kMaxImagePixels)) return core::Status::Ok();  // refused by the caller
  const uint64_t row = (bits * w + 31) / 32 * 4;
  if (offset + row * h > b.size()) {
    return core::Status::Fail(path + ": truncated BMP: declares " + std::to_string(w) + "x" + std::to_string(h) + " (" +
                              std::to_string(row * h) + " bytes of pixels), has " + std::to_string(b.size() - offset));
  }
  return core::Status::Ok();
}

// JPEG: entropy-coded data never holds FF D9 (0xFF is stuffed), so a file without the
// end-of-image marker was cut short.
core::Status CheckJpeg(const std::string& path, const std::string& b) {
  if (b.find("\xFF\xD9", 2) == std::string::npos) {
    return core::Status::Fail(path + ": truncated JPEG (no end-of-image marker)");
  }
  return core::Status::Ok();
}

}  // namespace

core::Status CheckImageBytes(const std::string& path, const std::string& bytes) {
  if (bytes.empty()) return core::Status::Fail(path + ": empty file (0 bytes)");
  core::Status format = core::Status::Ok();
  if (StartsWith(bytes, "\x89PNG\r\n\x1a\n")) {
    format = CheckPng(path, bytes);
  } else if (StartsWith(bytes, "P5") || StartsWith(bytes, "P6")) {
    format = CheckPnm(path, bytes);
  } else if (StartsWith(bytes, "BM")) {
    format = CheckBmp(path, bytes);
  } else if (StartsWith(bytes, "\xFF\xD8")) {
    format = CheckJpeg(path, bytes);
  }
  if (!format.ok()) return format;
  int width = 0, height = 0, channels = 0;
  if (bytes.size() > static_cast<size_t>(INT32_MAX) ||
      !stbi_info_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()), static_cast<int>(bytes.size()), &width,
                             &height, &channels)) {
    return core::Status::Fail(path + ": cannot decode (" + std::string(stbi_failure_reason()) + ")");
  }
  if (static_cast<int64_t>(width) * height > kMaxImagePixels) {
    return core::Status::Fail(path + ": declares " + std::to_string(width) + "x" + std::to_string(height) +
                              " pixels, more than the " + std::to_string(kMaxImagePixels) + " an image may have");
  }
  return core::Status::Ok();
}

}  // namespace kilonas::data
