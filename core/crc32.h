// CRC-32 (IEEE 802.3, as zlib) for file integrity checks.
#pragma once

#include <cstddef>
#include <cstdint>

namespace kilonas::core {

uint32_t Crc32(const void* data, size_t size);

}  // namespace kilonas::core
