#include "engine/firmware_build.h"

#include <sys/wait.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "core/file_io.h"

namespace kilonas::engine {
namespace {

std::string Quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string ReplaceAll(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

}  // namespace

int RunCommand(const std::string& command, std::string& output) {
  FILE* pipe = popen((command + " 2>&1").c_str(), "r");
  if (!pipe) return -1;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = fread(buffer.data(), 1, buffer.size(), pipe)) > 0) output.append(buffer.data(), n);
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

FirmwareTarget TargetFor(const core::HwProfile& profile) {
  FirmwareTarget target;
  target.cpu = profile.core;
  target.qemu_machine = profile.qemu_machine;
  target.flash_bytes = profile.flash_bytes;
  target.ram_bytes = profile.sram_bytes;
  return target;
}

FirmwareTarget BoardTargetFor(const core::HwProfile& profile) {
  FirmwareTarget target = TargetFor(profile);
  target.flash_origin = profile.flash_origin;
  target.ram_origin = profile.ram_origin;
  return target;
}

core::Result<std::string> LinkerScript(const FirmwareTarget& target, const std::string& source_root) {
  core::Result<std::string> script = core::ReadTextFile(source_root + "/engine/firmware/link.ld.in");
  if (!script.ok()) return script.error();
  auto hex = [](int64_t v) {
    char text[16];
    std::snprintf(text, sizeof(text), "0x%08llX", static_cast<unsigned long long>(v));
    return std::string(text);
  };
  std::string linker = ReplaceAll(script.value(), "@FLASH_BYTES@", std::to_string(target.flash_bytes));
  linker = ReplaceAll(linker, "@RAM_BYTES@", std::to_string(target.ram_bytes));
  linker = ReplaceAll(linker, "@STACK_BYTES@", std::to_string(target.stack_bytes));
  linker = ReplaceAll(linker, "@FLASH_ORIGIN@", hex(target.flash_origin));
  return ReplaceAll(linker, "@RAM_ORIGIN@", hex(target.ram_origin));
}

core::Result<FirmwareBuild> BuildFirmware(const std::string& dir, const FirmwareTarget& target,
                                          const std::string& source_root, const std::vector<std::string>& app_sources) {
  // The build runs in `dir` with paths relative to it (sources of the tree absolute), so that the
  // directory can be moved as a whole (exports are staged, then renamed) and build.sh still works.
  const std::string root = std::filesystem::absolute(source_root).lexically_normal().string();
  const std::string runtime = root + "/runtime", firmware = root + "/engine/firmware";
  core::Result<std::string> linker = LinkerScript(target, root);
  if (!linker.ok()) return linker.error();
  if (core::Status s = core::WriteFileAtomic(dir + "/link.ld", linker.value()); !s.ok()) return s.error();

  FirmwareBuild build;
  build.elf = dir + "/firmware.elf";
  std::ostringstream cmd;
  const std::string float_abi = target.fpu.empty() ? " -mfloat-abi=soft" : " -mfloat-abi=hard -mfpu=" + target.fpu;
  // -ffp-contract=off: no multiply-add fused (the training kernels round as on the host).
  cmd << "arm-none-eabi-gcc -mcpu=" << target.cpu << " -mthumb" << float_abi << " -ffp-contract=off -O2 -std=c99 -Wall"
      << " -ffunction-sections -fdata-sections -nostartfiles --specs=nano.specs -Wl,--gc-sections"
      << (target.profile_steps ? " -DKILONAS_PROFILE_STEPS" : "");
  for (const std::string& define : target.defines) cmd << " " << Quote("-D" + define);
  cmd << " -I. -I" << Quote(runtime) << " -I" << Quote(firmware) << " -T link.ld";
  for (const char* f : {"startup.c", "semihost.c"}) cmd << " " << Quote(firmware + "/" + f);
  for (const char* f :
       {"kernels_ref.c", "kernels_dsp.c", "kernels_dsp_depthwise.c", "kernels_dsp_depthwise_s2.c", "kernels_dsp_wide.c",
        "kernels_dsp_arm.S", "kernels_softmax.c", "kernels_train.c", "requantize.c"}) {
    cmd << " " << Quote(runtime + "/" + f);
  }
  const std::vector<std::string> app =
      app_sources.empty() ? std::vector<std::string>{firmware + "/main.c", "model.c"} : app_sources;
  for (const std::string& f : app) cmd << " " << Quote(app_sources.empty() ? f : std::filesystem::absolute(f).string());
  cmd << " -o firmware.elf -lc -lnosys";
  build.build_script = "#!/bin/sh\nset -e\ncd \"$(dirname \"$0\")\"\n" + cmd.str() + "\n";
  if (core::Status s = core::WriteFileAtomic(dir + "/build.sh", build.build_script); !s.ok()) return s.error();

  std::string log;
  if (RunCommand("cd " + Quote(dir) + " && " + cmd.str(), log) != 0)
    return core::Error{"firmware build failed:\n" + log};
  std::string sizes;
  if (RunCommand("arm-none-eabi-size -A " + Quote(build.elf), sizes) != 0)
    return core::Error{"arm-none-eabi-size failed:\n" + sizes};
  std::istringstream lines(sizes);
  std::string name;
  int64_t size = 0, address = 0;
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream fields(line);
    if (!(fields >> name >> size >> address)) continue;
    if (name == ".text") build.text = size;
    if (name == ".rodata") build.rodata = size;
    if (name == ".data") build.data = size;
    if (name == ".bss") build.bss = size;
  }
  return build;
}

core::Result<QemuRun> RunInQemu(const FirmwareBuild& build, const FirmwareTarget& target, int timeout_s,
                                const std::string& step_tag) {
  std::ostringstream cmd;
  cmd << "timeout " << timeout_s << " qemu-system-arm -M " << target.qemu_machine
      << " -nographic -monitor none -serial none -semihosting-config enable=on,target=native"
      << " -icount shift=0,align=off,sleep=off -kernel " << Quote(build.elf);
  QemuRun run;
  const int status = RunCommand(cmd.str(), run.log);
  if (status != 0) {
    return core::Error{"firmware run in qemu-system-arm -M " + target.qemu_machine + " exited with status " +
                       std::to_string(status) + (status == 124 ? " (timeout)" : "") + ":\n" + run.log};
  }
  const size_t out_at = run.log.find("KILONAS_OUTPUT "), ticks_at = run.log.find("KILONAS_TICKS ");
  if (out_at != std::string::npos && ticks_at != std::string::npos) {
    // The hex digits may be split over several semihosting writes: skip line breaks.
    std::string hex;
    for (size_t i = out_at + 15; i < ticks_at; ++i) {
      if (std::isxdigit(static_cast<unsigned char>(run.log[i]))) hex += run.log[i];
    }
    for (size_t i = 0; i + 1 < hex.size(); i += 2)
      run.output.push_back(static_cast<int8_t>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    run.ticks = std::stoull(run.log.substr(ticks_at + 14));
  }
  std::istringstream lines(run.log);
  std::string word;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream fields(line);
    int op = 0;
    uint64_t ticks = 0;
    if (fields >> word && word == step_tag && fields >> op >> ticks) run.step_ticks.emplace_back(op, ticks);
  }
  if (run.output.empty() && run.step_ticks.empty()) return core::Error{"firmware printed no result:\n" + run.log};
  return run;
}

core::Result<FirmwareBuild> BuildStubFirmware(const std::string& dir, const FirmwareTarget& target,
                                              const std::string& source_root) {
  const std::string firmware = source_root + "/engine/firmware";
  return BuildFirmware(dir, target, source_root, {firmware + "/main.c", firmware + "/model_stub.c"});
}

core::Result<int64_t> MeasureModelFlash(const std::string& dir, const FirmwareTarget& target,
                                        const std::string& source_root, const FirmwareBuild& build) {
  const std::string harness_dir = dir + "/harness";
  for (const char* file : {"model.h", "test_input.h"}) {
    core::Result<std::string> text = core::ReadTextFile(dir + "/" + file);
    if (!text.ok()) return text.error();
    if (core::Status s = core::WriteFileAtomic(harness_dir + "/" + file, text.value()); !s.ok()) return s.error();
  }
  core::Result<FirmwareBuild> harness = BuildStubFirmware(harness_dir, target, source_root);
  if (!harness.ok()) return harness.error();
  return build.FlashBytes() - harness.value().FlashBytes();
}

}  // namespace kilonas::engine
