// An engine::Model as a .tflite (schema version 3): int8 in and out, the same int8 constants in
// TensorFlow Lite's operators, so that TFLite Micro computes what kilonas computes and
// ImportModel reads back the same graph and constants. Weight scales are per output channel
// (dimension 0 of a convolution's filter, 3 of a depthwise one), each the float32 scale from
// which TFLite's QuantizeMultiplier gives the op's stored multiplier and shift; a padding that is
// neither TensorFlow's SAME nor VALID becomes a PAD (with the zero point) before a VALID window.
#pragma once

#include <string>

#include "engine/export.h"
#include "engine/model.h"

namespace kilonas::tflite {

// The file's bytes; an error names the op that has no .tflite form here (a pool padded otherwise
// than SAME, a multiplier no float32 scale reproduces: a model quantized before kilonas rounded
// its scales to float32 must be quantized again).
core::Result<std::string> ExportTflite(const engine::Model& model, const std::string& description);

// The same with float32 input and output: a QUANTIZE from the float input to the int8 body's
// input and a DEQUANTIZE of its output, as TensorFlow Lite's converter writes a model whose
// caller gives and takes floats (ImportModel reads such edges back into the int8 body).
core::Result<std::string> ExportTfliteWithFloatEdges(const engine::Model& model, const std::string& description);

// The same model in a form for runtimes that fill an int8 PAD with 0 instead of the zero point
// but fold a PAD into a CONV_2D correctly (Debian's Arm NN 20.08, docs/tflite.md): a depthwise
// convolution that needs a PAD is written as the equivalent CONV_2D (zero weights off the channel
// diagonal, the same scales and bias). Only the Arm NN check writes it; exports write the file
// above, which is TensorFlow Lite's usual form.
core::Result<std::string> ExportTfliteForArmnn(const engine::Model& model, const std::string& description);

// The name every export gives the file.
inline constexpr const char* kTfliteFileName = "model.tflite";

// ExportTflite's file (ExportTfliteWithFloatEdges's with `float_edges`) added to an export's files
// (engine::ExportOptions::extra_files); the error says why a model has no .tflite form, for the
// caller to report while the export goes on.
core::Status AddTfliteFile(const engine::Model& model, const std::string& description, engine::ExportOptions& options,
                           bool float_edges = false);

}  // namespace kilonas::tflite
