// Replays inputs through the model-file fuzz target without libFuzzer (any compiler): every file
// named, or in a folder named, as it is, cut at every 16 bytes, and with 512 seeded byte changes;
// under the sanitizer build (scripts/sanitize.sh) an over-read or undefined behaviour stops it.
// ctest runs it on the seed model (make_fuzz_seed).
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

void Run(const std::string& bytes) {
  LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

int Replay(const std::string& bytes) {
  int runs = 0;
  Run(bytes);
  ++runs;
  for (size_t cut = 0; cut < bytes.size(); cut += 16, ++runs) Run(bytes.substr(0, cut));
  std::mt19937 rng(7);
  for (int i = 0; i < 512 && !bytes.empty(); ++i, ++runs) {
    std::string changed = bytes;
    const size_t at = std::uniform_int_distribution<size_t>(0, bytes.size() - 1)(rng);
    changed[at] = static_cast<char>(std::uniform_int_distribution<int>(0, 255)(rng));
    Run(changed);
  }
  return runs;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    if (std::filesystem::is_directory(argv[i])) {
      for (const auto& entry : std::filesystem::directory_iterator(argv[i])) {
        if (entry.is_regular_file()) files.push_back(entry.path());
      }
    } else {
      files.push_back(argv[i]);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
    return 2;
  }
  int runs = 0;
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "%s: cannot open\n", file.c_str());
      return 1;
    }
    runs += Replay(std::string(std::istreambuf_iterator<char>(in), {}));
  }
  std::printf("replayed %d inputs from %zu files\n", runs, files.size());
  return 0;
}
