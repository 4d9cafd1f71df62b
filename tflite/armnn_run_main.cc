// tflite_armnn_run MODEL.tflite INPUTS OUTPUTS: runs a .tflite file in Arm NN (Debian's TfLite
// parser and CpuRef backend), an independent runtime for checking kilonas's exports. INPUTS holds
// whole int8 inputs back to back; OUTPUTS receives the int8 outputs in the same order. Its own
// process because Arm NN stops some files with an assertion (abort), which must not take the
// caller down (tflite::RunInArmnn reports it).
#include <armnn/ArmNN.hpp>
#include <armnnTfLiteParser/ITfLiteParser.hpp>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef KILONAS_ARMNN_BACKENDS
#define KILONAS_ARMNN_BACKENDS ""
#endif

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "tflite_armnn_run: %s\n", message.c_str());
  return 1;
}

bool IsInt8(const armnn::TensorInfo& info) { return info.GetDataType() == armnn::DataType::QAsymmS8; }

int Run(const std::string& model_path, const std::string& inputs_path, const std::string& outputs_path) {
  std::ifstream in(inputs_path, std::ios::binary);
  if (!in) return Fail(inputs_path + ": cannot read");
  const std::vector<char> inputs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  auto parser = armnnTfLiteParser::ITfLiteParser::Create();
  armnn::INetworkPtr network = parser->CreateNetworkFromBinaryFile(model_path.c_str());
  const std::vector<std::string> input_names = parser->GetSubgraphInputTensorNames(0);
  const std::vector<std::string> output_names = parser->GetSubgraphOutputTensorNames(0);
  if (input_names.size() != 1 || output_names.size() != 1) {
    return Fail(model_path + ": one input and one output expected");
  }
  const auto input = parser->GetNetworkInputBindingInfo(0, input_names[0]);
  const auto output = parser->GetNetworkOutputBindingInfo(0, output_names[0]);
  if (!IsInt8(input.second) || !IsInt8(output.second)) return Fail(model_path + ": int8 input and output expected");

  armnn::IRuntime::CreationOptions options;
  options.m_DynamicBackendsPath = KILONAS_ARMNN_BACKENDS;
  armnn::IRuntimePtr runtime = armnn::IRuntime::Create(options);
  armnn::IOptimizedNetworkPtr optimized = armnn::Optimize(*network, {armnn::Compute::CpuRef}, runtime->GetDeviceSpec());
  armnn::NetworkId id;
  std::string load_error;
  if (runtime->LoadNetwork(id, std::move(optimized), load_error) != armnn::Status::Success) {
    return Fail(model_path + ": Arm NN cannot load it: " + load_error);
  }

  const size_t in_size = input.second.GetNumElements(), out_size = output.second.GetNumElements();
  if (in_size == 0 || inputs.size() % in_size != 0) {
    return Fail(inputs_path + ": " + std::to_string(inputs.size()) + " bytes is not a whole number of inputs of " +
                std::to_string(in_size));
  }
  std::vector<char> outputs(inputs.size() / in_size * out_size);
  for (size_t k = 0; k < inputs.size() / in_size; ++k) {
    armnn::InputTensors in_tensors{{input.first, armnn::ConstTensor(input.second, inputs.data() + k * in_size)}};
    armnn::OutputTensors out_tensors{{output.first, armnn::Tensor(output.second, outputs.data() + k * out_size)}};
    if (runtime->EnqueueWorkload(id, in_tensors, out_tensors) != armnn::Status::Success) {
      return Fail(model_path + ": inference " + std::to_string(k) + " failed");
    }
  }
  std::ofstream out(outputs_path, std::ios::binary);
  out.write(outputs.data(), static_cast<std::streamsize>(outputs.size()));
  return out.good() ? 0 : Fail(outputs_path + ": cannot write");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return Fail("usage: tflite_armnn_run MODEL.tflite INPUTS OUTPUTS");
  try {
    return Run(argv[1], argv[2], argv[3]);
  } catch (const std::exception& e) {  // the parser throws on files it does not take
    return Fail(std::string(argv[1]) + ": " + e.what());
  }
}
