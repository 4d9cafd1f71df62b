#include "tflite/armnn_check.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>

#include "core/file_io.h"
#include "engine/interpreter.h"
#include "tflite/export.h"

#ifndef KILONAS_ARMNN_RUNNER
#define KILONAS_ARMNN_RUNNER ""
#endif

extern char** environ;

namespace kilonas::tflite {
namespace {

namespace fs = std::filesystem;

// A fresh directory under the system's temporary directory, removed with the object.
class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "kilonas_armnn_XXXXXX").string();
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path_.empty()) fs::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs `argv` with its stderr in `stderr_path`; the exit code, or an error for a signal.
core::Result<int> Spawn(const std::vector<std::string>& argv, const std::string& stderr_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return core::Error{argv[0] + ": cannot start: " + std::strerror(spawned)};
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return core::Error{argv[0] + ": lost the child process"};
  }
  if (WIFSIGNALED(status)) {
    const int signal = WTERMSIG(status);
    return core::Error{"Arm NN stopped on signal " + std::to_string(signal) +
                       (signal == SIGABRT ? " (SIGABRT: an assertion inside Arm NN)" : "")};
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string Trimmed(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The index of the first largest value.
size_t ArgMax(const std::vector<int8_t>& v) { return std::max_element(v.begin(), v.end()) - v.begin(); }

// Ops first..last of `model` as a model of their own, reading `first`'s input; nullopt where an op
// of the range reads a tensor that neither the range makes nor is that input (a residual add's
// skip from before it, the second input of an add at `first`).
std::optional<engine::Model> Slice(const engine::Model& model, int first, int last) {
  const core::Graph& g = model.graph;
  engine::Model slice;
  slice.execution = {memory_planner::PlanMode::kPerLayer};
  std::map<int, int> id_of;
  const auto add = [&](int tensor) { return id_of[tensor] = slice.graph.AddTensor(g.tensor(tensor)); };
  slice.graph.SetInput(add(g.op(first).inputs.at(0)));
  for (int i = first; i <= last; ++i) {
    core::Op op = g.op(i);
    for (int& t : op.inputs) {
      auto it = id_of.find(t);
      if (it == id_of.end()) return std::nullopt;
      t = it->second;
    }
    op.output = add(op.output);
    slice.graph.AddOp(op);
    slice.constants.push_back(model.constants[static_cast<size_t>(i)]);
  }
  slice.graph.SetOutput(id_of.at(g.op(last).output));
  return slice;
}

core::Result<std::vector<std::vector<int8_t>>> RunEngine(const engine::Model& model,
                                                         const std::vector<std::vector<int8_t>>& inputs) {
  core::Result<engine::Interpreter> interpreter = engine::Interpreter::Create(model);
  if (!interpreter.ok()) return interpreter.error();
  std::vector<std::vector<int8_t>> outputs;
  for (const std::vector<int8_t>& input : inputs) {
    core::Result<std::vector<int8_t>> out = interpreter.value().Invoke(input);
    if (!out.ok()) return out.error();
    outputs.push_back(std::move(out).value());
  }
  return outputs;
}

// The file's `bytes` written into `dir`, run there in Arm NN on `inputs`.
core::Result<std::vector<std::vector<int8_t>>> RunBytesInArmnn(const std::string& bytes, const std::string& dir,
                                                               const std::vector<std::vector<int8_t>>& inputs) {
  const std::string path = dir + "/" + kTfliteFileName;
  if (core::Status s = core::WriteFileAtomic(path, bytes); !s.ok()) return s.error();
  return RunInArmnn(path, inputs);
}

// `model` written in Arm NN's form (ExportTfliteForArmnn), run in Arm NN.
core::Result<std::vector<std::vector<int8_t>>> RunArmnnForm(const engine::Model& model, const std::string& dir,
                                                            const std::vector<std::vector<int8_t>>& inputs) {
  core::Result<std::string> bytes = ExportTfliteForArmnn(model, "kilonas Arm NN check");
  if (!bytes.ok()) return bytes.error();
  return RunBytesInArmnn(bytes.value(), dir, inputs);
}

}  // namespace

bool ArmnnAvailable() {
  const std::string runner = KILONAS_ARMNN_RUNNER;
  return !runner.empty() && access(runner.c_str(), X_OK) == 0;
}

core::Result<std::vector<std::vector<int8_t>>> RunInArmnn(const std::string& tflite_path,
                                                          const std::vector<std::vector<int8_t>>& inputs) {
  if (!ArmnnAvailable()) {
    return core::Error{
        "this build has no Arm NN runner (install libarmnntfliteparser-dev and "
        "libarmnn-cpuref-backend22, then rebuild)"};
  }
  if (inputs.empty()) return std::vector<std::vector<int8_t>>{};
  ScratchDir dir;
  if (dir.path().empty()) return core::Error{"Arm NN check: cannot create a temporary directory"};
  std::string packed;
  for (const std::vector<int8_t>& input : inputs) {
    if (input.size() != inputs[0].size()) return core::Error{"Arm NN check: inputs of different sizes"};
    packed.append(reinterpret_cast<const char*>(input.data()), input.size());
  }
  const std::string in_path = dir.path() + "/inputs", out_path = dir.path() + "/outputs";
  const std::string err_path = dir.path() + "/stderr";
  if (core::Status s = core::WriteFileAtomic(in_path, packed); !s.ok()) return s.error();
  core::Result<int> code = Spawn({KILONAS_ARMNN_RUNNER, tflite_path, in_path, out_path}, err_path);
  if (!code.ok()) return core::Error{tflite_path + ": " + code.error().message};
  if (code.value() != 0) {
    core::Result<std::string> message = core::ReadTextFile(err_path);
    return core::Error{message.ok() && !message.value().empty() ? Trimmed(message.value())
                                                                : tflite_path + ": Arm NN failed"};
  }
  core::Result<std::string> out = core::ReadTextFile(out_path);
  if (!out.ok()) return out.error();
  const std::string& bytes = out.value();
  if (bytes.size() % inputs.size() != 0) return core::Error{tflite_path + ": Arm NN wrote a partial output"};
  const size_t each = bytes.size() / inputs.size();
  std::vector<std::vector<int8_t>> outputs;
  for (size_t k = 0; k < inputs.size(); ++k) {
    outputs.emplace_back(bytes.begin() + static_cast<std::ptrdiff_t>(k * each),
                         bytes.begin() + static_cast<std::ptrdiff_t>((k + 1) * each));
  }
  return outputs;
}

std::string OutputAgreement::Summary() const {
  char text[160];
  std::snprintf(text, sizeof(text), "same top-1 on %d of %d inputs, outputs within %d steps (mean %.3f)", same_top1,
                inputs, max_abs_diff, mean_abs_diff);
  return text;
}

core::Result<OutputAgreement> CompareOutputs(const std::vector<std::vector<int8_t>>& ours,
                                             const std::vector<std::vector<int8_t>>& theirs) {
  if (ours.size() != theirs.size()) return core::Error{"outputs for different numbers of inputs"};
  OutputAgreement a;
  a.inputs = static_cast<int>(ours.size());
  int64_t values = 0, sum = 0;
  for (size_t k = 0; k < ours.size(); ++k) {
    if (ours[k].size() != theirs[k].size() || ours[k].empty()) {
      return core::Error{"output " + std::to_string(k) + ": sizes " + std::to_string(ours[k].size()) + " and " +
                         std::to_string(theirs[k].size())};
    }
    if (ours[k][ArgMax(theirs[k])] == ours[k][ArgMax(ours[k])]) ++a.same_top1;
    for (size_t i = 0; i < ours[k].size(); ++i) {
      const int diff = std::abs(ours[k][i] - theirs[k][i]);
      a.max_abs_diff = std::max(a.max_abs_diff, diff);
      sum += diff;
      ++values;
    }
  }
  a.mean_abs_diff = values ? static_cast<double>(sum) / static_cast<double>(values) : 0.0;
  return a;
}

core::Result<ArmnnCheck> CheckWithArmnn(const engine::Model& model, const std::vector<std::vector<int8_t>>& inputs) {
  core::Result<std::string> standard = ExportTflite(model, "kilonas Arm NN check");
  if (!standard.ok()) return standard.error();
  core::Result<std::string> armnn_form = ExportTfliteForArmnn(model, "kilonas Arm NN check");
  if (!armnn_form.ok()) return armnn_form.error();
  ScratchDir dir;
  if (dir.path().empty()) return core::Error{"Arm NN check: cannot create a temporary directory"};
  ArmnnCheck check;
  check.armnn_form = armnn_form.value() != standard.value();

  core::Result<std::vector<std::vector<int8_t>>> ours = RunEngine(model, inputs);
  if (!ours.ok()) return ours.error();
  core::Result<std::vector<std::vector<int8_t>>> theirs = RunBytesInArmnn(armnn_form.value(), dir.path(), inputs);
  if (!theirs.ok()) return theirs.error();
  core::Result<OutputAgreement> agreement = CompareOutputs(ours.value(), theirs.value());
  if (!agreement.ok()) return agreement.error();
  check.agreement = agreement.value();

  // Op by op: each op alone, fed the engine's own input to it. Every op's engine output is kept
  // (the engine gives the same bytes in any plan), so each runs once; an op with two inputs (an
  // add) runs as the prefix that ends with it and is not compared alone.
  const core::Graph& g = model.graph;
  std::map<int, std::vector<std::vector<int8_t>>> value_of{{g.input(), inputs}};
  for (int i = 0; i < static_cast<int>(g.ops().size()); ++i) {
    const core::Op& op = g.op(i);
    const auto input = value_of.find(op.inputs.at(0));
    std::optional<engine::Model> alone = op.inputs.size() == 1 ? Slice(model, i, i) : std::nullopt;
    if (!alone || input == value_of.end()) {
      const std::optional<engine::Model> prefix = Slice(model, 0, i);
      if (!prefix) return core::Error{"op '" + op.name + "': reads a tensor no earlier op makes"};
      core::Result<std::vector<std::vector<int8_t>>> out = RunEngine(*prefix, inputs);
      if (!out.ok()) return out.error();
      value_of[op.output] = std::move(out).value();
      continue;
    }
    core::Result<std::vector<std::vector<int8_t>>> op_ours = RunEngine(*alone, input->second);
    if (!op_ours.ok()) return op_ours.error();
    core::Result<std::vector<std::vector<int8_t>>> op_theirs = RunArmnnForm(*alone, dir.path(), input->second);
    if (!op_theirs.ok()) return core::Error{"op '" + op.name + "': " + op_theirs.error().message};
    core::Result<OutputAgreement> op_agreement = CompareOutputs(op_ours.value(), op_theirs.value());
    if (!op_agreement.ok()) return op_agreement.error();
    check.ops.push_back({op.name, op_agreement.value()});
    value_of[op.output] = std::move(op_ours).value();
  }
  return check;
}

bool OpsAgree(const ArmnnCheck& check) {
  return std::all_of(check.ops.begin(), check.ops.end(),
                     [](const OpAgreement& op) { return op.agreement.max_abs_diff <= kArmnnOpToleranceSteps; });
}

std::string ArmnnVerdict(const engine::Model& model, const std::vector<std::vector<int8_t>>& inputs) {
  if (!ArmnnAvailable()) return "not run: this build has no Arm NN (scripts/setup.sh installs it)";
  core::Result<ArmnnCheck> check = CheckWithArmnn(model, inputs);
  if (!check.ok()) return "FAILED: " + check.error().message;
  const ArmnnCheck& c = check.value();
  std::string verdict;
  if (OpsAgree(c)) {
    verdict = "agrees: each of " + std::to_string(c.ops.size()) + " ops within " +
              std::to_string(kArmnnOpToleranceSteps) + " step on the engine's input to it";
  } else {
    const auto worst = std::max_element(c.ops.begin(), c.ops.end(), [](const OpAgreement& a, const OpAgreement& b) {
      return a.agreement.max_abs_diff < b.agreement.max_abs_diff;
    });
    verdict = "DISAGREES: op '" + worst->op + "' differs by " + std::to_string(worst->agreement.max_abs_diff) +
              " steps on the engine's input to it";
  }
  verdict += "; the whole network: " + c.agreement.Summary();
  if (c.armnn_form) verdict += " (padded depthwise convolutions given to Arm NN as CONV_2D, docs/tflite.md)";
  return verdict;
}

}  // namespace kilonas::tflite
