// Writes a small valid model file as the fuzzer's seed corpus entry.
#include <cstdio>
#include <random>

#include "core/net_spec.h"
#include "engine/model_file.h"
#include "engine/quantizer.h"

int main(int argc, char** argv) {
  using namespace kilonas;
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_fuzz_seed <out.kmodel>\n");
    return 1;
  }
  core::NetSpec spec;
  spec.name = "seed";
  spec.resolution = 8;
  spec.in_channels = 1;
  spec.num_classes = 2;
  spec.stem_channels = 8;
  spec.blocks = {{8, 3, 1, 1}, {8, 3, 3, 2}};
  std::mt19937 rng(1);
  const core::FloatModel fm = core::RandomFloatModel(core::BuildGraph(spec).value(), rng);
  const engine::Model model = engine::Quantize(fm, {std::vector<float>(64, 0.5f)}, {}).value();
  const core::Status s = engine::SaveModel(model, argv[1]);
  if (!s.ok()) std::fprintf(stderr, "%s\n", s.message().c_str());
  return s.ok() ? 0 : 1;
}
