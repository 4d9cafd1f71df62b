// The model file of the host interpreter (.kmodel): a versioned container with checksums.
//
//   offset  size  field
//   0       8     magic "KILONAS\0"
//   8       4     format version (1), little endian
//   12      4     header size H
//   16      8     payload size P
//   24      4     CRC-32 of the header
//   28      4     CRC-32 of the payload
//   32      H     header: JSON (graph with quantization, per-op constants as payload ranges,
//                 execution config, planned arena size)
//   32+H    P     payload: int8 weights and little-endian int32 arrays
//
// Loading checks sizes, checksums, every key and range, re-plans memory and requires the same
// arena size: a truncated or corrupted file gives an error naming the file, never a crash.
#pragma once

#include <string>

#include "engine/model.h"

namespace kilonas::engine {

inline constexpr uint32_t kModelFormatVersion = 1;

std::string SerializeModel(const Model& model);
core::Result<Model> ParseModel(const std::string& bytes, const std::string& source);

core::Status SaveModel(const Model& model, const std::string& path);  // atomic (temp + rename)
core::Result<Model> LoadModel(const std::string& path);

}  // namespace kilonas::engine
