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

// C expressions a kernel call is made of: parameter blocks (pointers), buffer addresses. Views
// and the rect are the statics `iv`, `iv2`, `ov` and `r` declared before the call.
struct CallOperands {
  std::string conv_params, add_params, pool_params;
  std::string in, in2, out, scratch;
};

// The statement calling `kernel`: the one place that knows each kernel's argument order (the
// generated model and the profiling firmware both print their calls with it). Pool and fully
// connected take plain sizes, read from the views.
std::string KernelCall(Kernel kernel, const CallOperands& operands, const kilonas_view& in_view,
                       const kilonas_view& out_view);

GeneratedSources GenerateC(const Model& model, const Schedule& schedule, const std::string& network);

// Pieces of generated C, shared with the training firmware's generator (ondevice/).
// Text safe in a C comment or string (letters, digits and _ . : -; anything else '_').
std::string CommentText(const std::string& text);
// "static const <type> <name>[n] = {...};" (at least one element; aligned to 4 bytes if asked).
std::string CArray(const char* type, const std::string& name, const std::vector<int64_t>& values,
                   bool word_aligned = false);
// Initializers of the parameter blocks: `pointers` is the text of the first five members
// (weights, bias, multiplier, shift, channels).
std::string ConvParamsText(const kilonas_conv_params& p, const std::string& pointers);
std::string AddParamsText(const kilonas_add_params& p);
std::string PoolParamsText(const kilonas_pool_params& p);
std::string ViewText(const kilonas_view& v);
std::string RectText(const kilonas_rect& r);

// test_input.h: `kilonas_test_input`, the int8 input the firmware runs on.
std::string GenerateTestInput(const std::vector<int8_t>& input);

}  // namespace kilonas::engine
