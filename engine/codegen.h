// C code generation: model.h / model.c for the firmware. Weights, biases and requantization
// parameters become const arrays (flash); the arena is one static array of exactly the planned
// size; kilonas_model_invoke() calls the runtime kernels of the Schedule at fixed arena offsets.
#pragma once

#include <string>
#include <vector>

#include "engine/model.h"
#include "engine/schedule.h"

namespace kilonas::engine {

struct GeneratedSources {
  std::string header;  // model.h
  std::string source;  // model.c
};

GeneratedSources GenerateC(const Model& model, const Schedule& schedule, const std::string& network);

// test_input.h: `kilonas_test_input`, the int8 input the firmware runs on.
std::string GenerateTestInput(const std::vector<int8_t>& input);

}  // namespace kilonas::engine
