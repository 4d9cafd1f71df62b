// CRC-32 (IEEE 802.3, as zlib) for file integrity checks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace kilonas::core {

uint32_t Crc32(const void* data, size_t size);

// A CRC-32 as files and messages write it: eight lower-case hex digits.
std::string Crc32Text(uint32_t crc);

}  // namespace kilonas::core
