#include "data/cifar.h"

#include "core/file_io.h"

namespace kilonas::data {

core::Result<ImageSet> ReadCifarBatches(const std::vector<std::string>& paths, CifarKind kind) {
  constexpr int kSide = 32, kPlane = kSide * kSide;
  const int label_bytes = kind == CifarKind::kCifar10 ? 1 : 2;
  const int num_classes = kind == CifarKind::kCifar10 ? 10 : 100;
  const size_t record = static_cast<size_t>(label_bytes) + 3 * kPlane;
  ImageSet set;
  set.rows = set.cols = kSide;
  set.channels = 3;
  for (const std::string& path : paths) {
    core::Result<std::string> bytes = core::ReadTextFile(path);
    if (!bytes.ok()) return bytes.error();
    const std::string& data = bytes.value();
    if (data.empty() || data.size() % record != 0) {
      return core::Error{path + ": " + std::to_string(data.size()) + " bytes, not a whole number of " +
                         std::to_string(record) + "-byte " + (kind == CifarKind::kCifar10 ? "CIFAR-10" : "CIFAR-100") +
                         " records (truncated, or the other CIFAR's file?)"};
    }
    for (size_t at = 0; at < data.size(); at += record) {
      const auto label = static_cast<uint8_t>(data[at + label_bytes - 1]);
      if (label >= num_classes) {
        return core::Error{path + ": record " + std::to_string(at / record) + ": label " + std::to_string(label) +
                           " out of range 0.." + std::to_string(num_classes - 1)};
      }
      set.labels.push_back(label);
      const char* planes = data.data() + at + label_bytes;
      for (int p = 0; p < kPlane; ++p) {
        for (int c = 0; c < 3; ++c) set.pixels.push_back(static_cast<uint8_t>(planes[c * kPlane + p]));
      }
    }
  }
  return set;
}

}  // namespace kilonas::data
