// The check of a .tflite file by an independent runtime: Arm NN (Debian's 20.08, TfLite parser and
// CpuRef backend) against kilonas's engine on the same inputs. Arm NN requantizes in floating point
// where TFLite and kilonas use integer multipliers, so an op's outputs may differ by one rounding
// step, and a deep network's by more: the check holds every op, fed the engine's own input to it,
// to one step and reports the whole network's agreement (docs/tflite.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "engine/model.h"

namespace kilonas::tflite {

// Whether this build has Arm NN's runner (tflite_armnn_run, built where Debian's Arm NN is
// installed).
bool ArmnnAvailable();

// The outputs of `tflite_path` in Arm NN for each int8 input, run in a child process: a file that
// Arm NN stops with an assertion gives an error naming the signal, never a crash of the caller.
core::Result<std::vector<std::vector<int8_t>>> RunInArmnn(const std::string& tflite_path,
                                                          const std::vector<std::vector<int8_t>>& inputs);

// How two runtimes' int8 outputs for the same inputs agree.
struct OutputAgreement {
  int inputs = 0;
  int same_top1 = 0;     // inputs whose first class in `theirs` is a first class of `ours` too
  int max_abs_diff = 0;  // largest |ours - theirs| over all outputs
  double mean_abs_diff = 0;
  std::string Summary() const;  // "same top-1 on 100 of 100 inputs, outputs within 2 steps (mean 0.03)"
};
// Fails on outputs of different counts or sizes.
core::Result<OutputAgreement> CompareOutputs(const std::vector<std::vector<int8_t>>& ours,
                                             const std::vector<std::vector<int8_t>>& theirs);

// `model` in kilonas's host interpreter against its .tflite form in Arm NN: the exported file
// itself (ExportTflite), or where the model has a depthwise convolution that needs a PAD, the form
// Arm NN 20.08 computes correctly (ExportTfliteForArmnn; `armnn_form` then says so).
struct OpAgreement {
  std::string op;
  OutputAgreement agreement;
};
struct ArmnnCheck {
  OutputAgreement agreement;  // the whole network
  // Each op alone, fed the engine's own input to it (a one-op model): where the two runtimes part,
  // without the network amplifying earlier differences. Ops whose inputs come from two places
  // (adds) are left out.
  std::vector<OpAgreement> ops;
  bool armnn_form = false;
};
core::Result<ArmnnCheck> CheckWithArmnn(const engine::Model& model, const std::vector<std::vector<int8_t>>& inputs);

// The bound the check holds each op to: one rounding step (Arm NN rounds the float product once,
// TFLite's fixed-point multiplier rounds twice). Through a network the steps grow (each layer
// multiplies an input difference by its weights), so the whole network's outputs are reported,
// not bounded: docs/tflite.md has the figures.
inline constexpr int kArmnnOpToleranceSteps = 1;
// Every op of the check within kArmnnOpToleranceSteps.
bool OpsAgree(const ArmnnCheck& check);

// The check as one line for a tool's output: "agrees: every op within 1 step ...; the network:
// same top-1 on ...", "DISAGREES: op ...", or why it did not run ("not run: ...").
std::string ArmnnVerdict(const engine::Model& model, const std::vector<std::vector<int8_t>>& inputs);

}  // namespace kilonas::tflite
