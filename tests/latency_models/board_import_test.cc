#include "latency_models/board_import.h"

#include <gtest/gtest.h>

namespace kilonas::latency_models {
namespace {

const char* kKeys[] = {"conv2d k3 s2 32x32x1 -> 16x16x16", "depthwise_conv2d k3 s1 16x16x16 -> 16x16x16 in_place",
                       "pointwise_conv2d k1 s1 16x16x16 -> 16x16x8", "add k1 s1 8x8x24 -> 8x8x24",
                       "fully_connected k1 s1 1x1x128 -> 1x1x10"};

std::vector<OpKey> Keys() {
  std::vector<OpKey> keys;
  for (const char* k : kKeys) keys.push_back(ParseOpKey(k).value());
  return keys;
}

LatencyLut QemuLut() {
  LatencyLut lut;
  lut.mcu = "stm32f746";
  lut.provenance = {"0.1.0", "qemu-icount", "2026-01-01T00:00:00Z", "cortex-m7", "qemu", 1.0, 216.0, "qemu"};
  uint64_t n = 1000;
  for (const OpKey& key : Keys()) lut.entries[key] = {n, static_cast<double>(n)}, n += 1000;
  return lut;
}

TEST(KeyList, IndicesAreOneGlobalSequence) {
  const std::string text = "0\tconv2d k3 s2 32x32x1 -> 16x16x16\n1\tadd k1 s1 8x8x24 -> 8x8x24\n";
  ASSERT_TRUE(ParseKeyList(text, "keys.txt").ok());
  EXPECT_EQ(ParseKeyList(text, "keys.txt").value().size(), 2u);
  const auto restarted = ParseKeyList(text + "0\tadd k1 s1 8x8x8 -> 8x8x8\n", "keys.txt");
  ASSERT_FALSE(restarted.ok());
  EXPECT_NE(restarted.error().message.find("keys.txt:3: expected '2<TAB><op key>'"), std::string::npos)
      << restarted.error().message;
  EXPECT_FALSE(ParseKeyList("0\tnonsense\n", "keys.txt").ok());
  EXPECT_FALSE(ParseKeyList("", "keys.txt").ok());
}

TEST(ImportBoardCycles, AMultiBatchLogReplacesOnlyTheEntriesItNames) {
  LatencyLut lut = QemuLut();
  // Two batches of the profiling firmware (global indices), with boot chatter between them.
  const std::string log = "boot\nKILONAS_OP 0 900\nKILONAS_OP 1 2100\nreset\nKILONAS_OP 3 3700\n";
  const auto summary = ImportBoardCycles(lut, Keys(), log, "board.log", "nucleo-f746zg");
  ASSERT_TRUE(summary.ok()) << summary.error().message;
  EXPECT_EQ(summary.value().replaced, 3);
  EXPECT_EQ(summary.value().added, 0);
  const std::vector<OpKey> keys = Keys();
  EXPECT_EQ(lut.entries.at(keys[0]).cycles, 900);
  EXPECT_EQ(lut.entries.at(keys[0]).instructions, 0u);  // a board figure
  EXPECT_EQ(lut.entries.at(keys[3]).cycles, 3700);
  EXPECT_EQ(lut.entries.at(keys[2]).cycles, 3000);  // kept from QEMU
  EXPECT_EQ(lut.entries.at(keys[2]).instructions, 3000u);
  EXPECT_EQ(lut.entries.size(), 5u);
  EXPECT_EQ(lut.provenance.method, "qemu-icount+dwt");
  EXPECT_NE(lut.provenance.notes.find("3 entries: DWT CYCCNT on nucleo-f746zg from board.log"), std::string::npos);
  EXPECT_EQ(lut.provenance.date, "2026-01-01T00:00:00Z");  // the rest is still that run's

  const auto all = ImportBoardCycles(lut, Keys(), "KILONAS_OP 2 10\nKILONAS_OP 4 20\n", "b2.log", "nucleo");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(lut.provenance.method, "dwt");
}

TEST(ImportBoardCycles, BadLinesChangeNothingAndNameTheLine) {
  const LatencyLut before = QemuLut();
  for (const auto& [log, expected] : std::vector<std::pair<std::string, std::string>>{
           {"KILONAS_OP 0 900\nKILONAS_OP 7 100\n", "board.log:2: index 7 is not in the key list (5 keys)"},
           {"KILONAS_OP 1 0\n", "board.log:1: 0 cycles for 'depthwise_conv2d"},
           {"KILONAS_OP 1 5\nKILONAS_OP 1 6\n", "board.log:2: call 1 reported twice"},
           {"KILONAS_OP 1 x\n", "board.log:1: bad line"},
           {"hello\n", "board.log: no KILONAS_OP lines"}}) {
    LatencyLut lut = before;
    const auto r = ImportBoardCycles(lut, Keys(), log, "board.log", "b");
    ASSERT_FALSE(r.ok()) << log;
    EXPECT_NE(r.error().message.find(expected), std::string::npos) << r.error().message;
    EXPECT_EQ(LutToJson(lut), LutToJson(before));
  }
}

}  // namespace
}  // namespace kilonas::latency_models
