// The training firmware's C sources: train.h / train.c print the training program (its calls in
// order, at their arena offsets, with their constants; the trainable parameters' copies in the
// arena, set from flash at start), train_samples.h the labelled samples it trains on. The host
// trainer executes the same program, so both compute the same bits (training_firmware.h checks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/codegen.h"
#include "ondevice/training_program.h"

namespace kilonas::ondevice {

engine::GeneratedSources GenerateTrainingC(const engine::Model& model, const TrainingProgram& program,
                                           const std::string& network);

struct TrainingSamples {
  std::vector<std::vector<int8_t>> inputs;  // int8 HWC, the model's input size
  std::vector<int> labels;
  int64_t steps = 0;  // samples the firmware trains on, in order, cycling through these
};
std::string GenerateTrainingSamples(const TrainingSamples& samples);

// The checksum the firmware prints: FNV-1a (kilonas_fnv1a) over the trainable parameters, op by op,
// each op's weights then its biases as their bytes lie (int32 little-endian).
uint32_t ParameterChecksum(const engine::Model& model, const TrainingLayout& layout);

}  // namespace kilonas::ondevice
