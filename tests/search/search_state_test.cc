// A saved search state resumes only when it is what the run wrote: verified against its manifest
// and every field checked against the config and resource model of the run resuming it.
#include "search/search_state.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "core/file_io.h"
#include "tests/search/fmnist_resource_model.h"
#include "tests/support/source_path.h"

namespace kilonas::search {
namespace {

constexpr int kStage1Samples = 6;

struct Fixture {
  ResourceModel model = testing::FmnistResourceModel();
  EvolutionConfig config;
  SearchState state;
};

// A real state: stage 1 over the fmnist space, then two generations of evolution.
Fixture RealState() {
  Fixture f;
  f.config.population = 8;
  f.config.generations = 3;
  const Budgets budgets{32 * 1024, 400 * 1024, 0};
  std::mt19937 rng(3);
  f.state.fingerprint = "test";
  f.state.spaces = RankSpaces(f.model, budgets, kStage1Samples, rng).value();
  const SpaceChoice* chosen = ChooseSpace(f.state.spaces);
  core::OfaSpace sub = f.model.space();
  sub.width_choices = {chosen->width};
  sub.resolution_choices = {chosen->resolution};
  const ResourceModel sub_model(
      sub, memory_planner::PlanMode::kInPlace,
      memory_planner::LoadCodeSize(kilonas::testing::SourcePath("hw_profiles/code_size/cortex-m7.json")).value(),
      latency_models::LatencyPredictor(
          latency_models::LoadLut(kilonas::testing::SourcePath("latency_models/luts/stm32f746.json")).value()));
  std::vector<EvolutionState> states;
  const auto accuracy = [](const core::SubnetConfig& c) { return 0.5 + 0.01 * c.stages[0].size(); };
  EXPECT_TRUE(
      Evolve(sub_model, budgets, accuracy, f.config, rng, [&](const EvolutionState& s) { states.push_back(s); }).ok());
  f.state.evolution = states.at(1);
  return f;
}

TEST(SearchState, ARealStateValidatesAndRoundTripsThroughItsFile) {
  const Fixture f = RealState();
  ASSERT_TRUE(ValidateSearchState(f.state, f.model, f.config, kStage1Samples).ok())
      << ValidateSearchState(f.state, f.model, f.config, kStage1Samples).message();
  const std::string path = std::filesystem::temp_directory_path().string() + "/kilonas_state_" +
                           std::to_string(getpid()) + "/search_state.json";
  ASSERT_TRUE(SaveSearchState(path, f.state).ok());
  core::Result<SearchState> loaded = LoadSearchState(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_TRUE(ValidateSearchState(loaded.value(), f.model, f.config, kStage1Samples).ok());
  EXPECT_EQ(SearchStateToJson(loaded.value()), SearchStateToJson(f.state));

  std::string text = core::ReadTextFile(path).value();
  text[text.find("\"generation\":1") + 13] = '2';  // a hand edit
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
  const core::Result<SearchState> edited = LoadSearchState(path);
  ASSERT_FALSE(edited.ok());
  EXPECT_NE(edited.error().message.find("search_state.json: corrupt or modified"), std::string::npos)
      << edited.error().message;
  EXPECT_NE(edited.error().message.find("use --restart"), std::string::npos);
}

// Hand-edited fields (past the checksum, as a user who rewrote the manifest too): each one is
// refused naming its key.
TEST(SearchState, EveryEditedFieldIsRefusedNamingItsKey) {
  const Fixture f = RealState();
  const std::vector<std::pair<std::function<void(SearchState&)>, std::string>> cases = {
      {[](SearchState& s) { s.evolution.generation = -3; }, "key 'generation': -3 is not in [0, 3]"},
      {[](SearchState& s) { s.evolution.generation = 7; }, "key 'generation': 7 is not in [0, 3]"},
      {[](SearchState& s) { s.evolution.generation = 2; }, "key 'log': 2 entries for generation 2"},
      {[](SearchState& s) { s.evolution.rng = "garbage"; }, "key 'rng': not a complete"},
      {[](SearchState& s) { s.evolution.rng += " 5"; }, "key 'rng': not a complete"},
      {[](SearchState& s) { s.evolution.rng.resize(s.evolution.rng.size() / 2); }, "key 'rng': not a complete"},
      {[](SearchState& s) { s.spaces.clear(); }, "key 'spaces': empty"},
      {[](SearchState& s) { s.spaces.pop_back(); }, "key 'spaces': "},
      {[](SearchState& s) { s.spaces[0].width = 0.8; }, "key 'spaces[0].width': 0.8"},
      {[](SearchState& s) { s.spaces[0].resolution = 31; }, "key 'spaces[0].resolution': 31"},
      {[](SearchState& s) { s.spaces[1] = s.spaces[0]; }, "key 'spaces[1]': listed twice"},
      {[](SearchState& s) { s.spaces[0].samples = 99; },
       "key 'spaces[0].samples': 99, the config's stage1_samples is 6"},
      {[](SearchState& s) { s.spaces[0].feasible = -1; }, "key 'spaces[0].feasible'"},
      {[](SearchState& s) {
         for (SpaceChoice& c : s.spaces) c.feasible = 0;
       },
       "key 'spaces': no sub-space has a feasible"},
      {[](SearchState& s) { s.evolution.result.population.pop_back(); },
       "key 'population': 7 candidates, the config's population is 8"},
      {[](SearchState& s) { s.evolution.result.population[2].accuracy = 1.5; }, "key 'population[2].accuracy'"},
      {[](SearchState& s) { s.evolution.result.population[0].resources.sram_bytes -= 1024; },
       "key 'population[0].sram_bytes'"},
      {[](SearchState& s) { s.evolution.result.population[0].resources.flash_bytes = 1; },
       "key 'population[0].flash_bytes'"},
      {[](SearchState& s) { s.evolution.result.population[1].resources.latency_ms *= 0.5; },
       "key 'population[1].latency_ms'"},
      {[](SearchState& s) { s.evolution.result.population[1].resources.macs += 1; }, "key 'population[1].macs'"},
      {[](SearchState& s) { s.evolution.result.evaluated[3].resources.latency_misses = 4; },
       "key 'evaluated[3].latency_lut_misses'"},
      {[](SearchState& s) { s.evolution.result.log[1].best.accuracy = -0.1; }, "key 'log[1].best.accuracy'"},
      {[](SearchState& s) { s.evolution.result.log[1].generation = 5; }, "key 'log[1].generation': expected 1"},
      {[](SearchState& s) {
         core::SubnetConfig& c = s.evolution.result.population[0].config;
         c.resolution = c.resolution == 28 ? 24 : 28;
       },
       "key 'population[0].subnet': "},
  };
  for (const auto& [edit, expected] : cases) {
    SearchState edited = f.state;
    edit(edited);
    const core::Status s = ValidateSearchState(edited, f.model, f.config, kStage1Samples);
    ASSERT_FALSE(s.ok()) << "accepted; expected: " << expected;
    EXPECT_NE(s.message().find(expected), std::string::npos) << s.message() << "\nexpected: " << expected;
  }
}

}  // namespace
}  // namespace kilonas::search
