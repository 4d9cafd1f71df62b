#include "core/hw_profile.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/file_io.h"
#include "tests/support/source_path.h"

namespace kilonas::core {
namespace {

std::string Profile(const std::string& name) { return kilonas::testing::SourcePath("hw_profiles/") + name + ".json"; }

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

std::string ErrorOf(const std::string& text) {
  Result<HwProfile> r = ParseHwProfile(text, "board.json");
  return r.ok() ? "" : r.error().message;
}

std::string F746() { return ReadTextFile(Profile("stm32f746")).value(); }

TEST(HwProfile, CommittedProfilesLoadWithTheirDatasheetFigures) {
  struct Expect {
    const char* name;
    const char* core;
    double mhz;
    int64_t sram_kb, flash_kb;
  };
  for (const Expect& e :
       {Expect{"stm32f746", "cortex-m7", 216, 320, 1024}, Expect{"stm32h743", "cortex-m7", 480, 512, 2048},
        Expect{"stm32f412", "cortex-m4", 100, 256, 1024}, Expect{"nrf52840", "cortex-m4", 64, 256, 1024}}) {
    Result<HwProfile> p = LoadHwProfile(Profile(e.name));
    ASSERT_TRUE(p.ok()) << p.error().message;
    EXPECT_EQ(p.value().name, e.name);
    EXPECT_EQ(p.value().core, e.core);
    EXPECT_DOUBLE_EQ(p.value().clock_mhz, e.mhz);
    EXPECT_EQ(p.value().sram_bytes, e.sram_kb * 1024);
    EXPECT_EQ(p.value().flash_bytes, e.flash_kb * 1024);
    EXPECT_GT(p.value().SramBudget(), 0);
    EXPECT_LT(p.value().SramBudget(), p.value().sram_bytes);
    EXPECT_FALSE(p.value().qemu_board.empty());
  }
  EXPECT_EQ(LoadHwProfile(Profile("stm32h743")).value().ram_origin, 0x24000000);  // AXI SRAM
  EXPECT_EQ(LoadHwProfile(Profile("stm32h743")).value().flash_origin, 0x08000000);
}

TEST(HwProfile, UnknownKeyIsRejectedNamingFileAndKey) {
  const std::string e = ErrorOf(Replace(F746(), "\"cpi\": 1.0", "\"cpi\": 1.0, \"sram_kb\": 320"));
  EXPECT_EQ(e, "board.json: unknown key 'sram_kb'");
}

TEST(HwProfile, BadValuesAreRejectedNamingTheKey) {
  EXPECT_NE(ErrorOf(Replace(F746(), "\"clock_mhz\": 216", "\"clock_mhz\": -5")).find("key 'clock_mhz'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(F746(), "\"sram_bytes\": 327680", "\"sram_bytes\": 0")).find("key 'sram_bytes'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(F746(), "\"reserved_sram_bytes\": 12288", "\"reserved_sram_bytes\": 400000"))
                .find("must be below sram_bytes"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(F746(), "\"core\": \"cortex-m7\"", "\"core\": \"cortex-a53\"")).find("key 'core'"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(F746(), "\"cpi_measured\": false", "\"cpi_measured\": 1")).find("expected true or false"),
            std::string::npos);
  EXPECT_NE(ErrorOf(Replace(F746(), "\"qemu_machine\": \"mps2-an500\"", "\"qemu_machine\": \"mps2-an386\""))
                .find("key 'qemu_machine': 'mps2-an386' does not emulate a cortex-m7 (use mps2-an500)"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(Replace(F746(), "\"latency_lut\": \"../latency_models/luts/stm32f746.json\"", "\"latency_lut\": \"\""))
          .find("key 'latency_lut': must name"),
      std::string::npos);
  for (const char* bad : {"\"0x\"", "\"20000000\"", "\"0x1FFFFFFFF\"", "\"0xZZ\"", "\"0x20000002\"", "536870912"}) {
    EXPECT_NE(ErrorOf(Replace(F746(), "\"ram_origin\": \"0x20000000\"", std::string("\"ram_origin\": ") + bad))
                  .find("key 'ram_origin'"),
              std::string::npos)
        << bad;
  }
}

TEST(HwProfile, MissingKeyAndMalformedJsonNameTheFile) {
  EXPECT_EQ(ErrorOf(Replace(F746(), "\"qemu_machine\": \"mps2-an500\"", "\"x\": 0")).rfind("board.json: ", 0), 0u);
  EXPECT_NE(ErrorOf(Replace(F746(), "\"qemu_machine\": \"mps2-an500\"", "\"x\": 0")).find("'qemu_machine': missing"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{\"schema_version\": 1, ").find("board.json: malformed JSON"), std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2]").find("expected an object"), std::string::npos);
}

TEST(HwProfile, MissingFileIsAnErrorNamingIt) {
  Result<HwProfile> r = LoadHwProfile("hw_profiles/no_such_mcu.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "hw_profiles/no_such_mcu.json: cannot open file: No such file or directory");
}

// The profile's files are found from its own folder, whatever the working directory: the
// committed profiles as loaded by tests from anywhere, and a copy elsewhere naming its own LUT.
TEST(HwProfile, FilesAreRelativeToTheProfilesFolder) {
  const Result<HwProfile> f746 = LoadHwProfile(Profile("stm32f746"));
  ASSERT_TRUE(f746.ok()) << f746.error().message;
  EXPECT_EQ(f746.value().latency_lut, kilonas::testing::SourcePath("latency_models/luts/stm32f746.json"));
  EXPECT_EQ(f746.value().code_size, kilonas::testing::SourcePath("hw_profiles/code_size/cortex-m7.json"));
  EXPECT_TRUE(std::filesystem::is_regular_file(f746.value().latency_lut));

  const std::filesystem::path dir = std::filesystem::path(KILONAS_TEST_OUT) / "hw_profile_copy";
  std::filesystem::create_directories(dir);
  ASSERT_TRUE(WriteFileAtomic((dir / "board.json").string(),
                              Replace(F746(), "\"../latency_models/luts/stm32f746.json\"", "\"luts/mine.json\""))
                  .ok());
  const Result<HwProfile> copy = LoadHwProfile((dir / "board.json").string());
  ASSERT_TRUE(copy.ok()) << copy.error().message;
  EXPECT_EQ(copy.value().latency_lut, (dir / "luts/mine.json").string());
  // Parsing text resolves nothing: there is no folder.
  EXPECT_EQ(ParseHwProfile(F746(), "board.json").value().latency_lut, "../latency_models/luts/stm32f746.json");
}

}  // namespace
}  // namespace kilonas::core
