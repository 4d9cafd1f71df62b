// What stb_image does not check before it decodes an image file, checked here so that a damaged
// file is one error naming it instead of an image of garbage or zeros: PNG chunk CRCs, the IEND
// chunk and the zlib stream's Adler-32 (inflated with zlib, bounded by the declared size); the
// binary PNM header (maxval 1..65535) and its pixel bytes; a BMP's declared pixel data against the
// file's length; a JPEG's end-of-image marker. And for every format, a declared size that is too
// large to decode (the allocator must never be what finds out).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"

namespace kilonas::data {

inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;       // 8192 x 8192
inline constexpr int64_t kMaxImageFileBytes = int64_t{256} << 20;  // what the folder reader reads

// `bytes` is the whole file `path` (named in errors).
core::Status CheckImageBytes(const std::string& path, const std::string& bytes);

}  // namespace kilonas::data
