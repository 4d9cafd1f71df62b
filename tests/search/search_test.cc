#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "search/evolution.h"
#include "tests/search/fmnist_resource_model.h"
#include "tests/support/source_path.h"

namespace kilonas::search {
namespace {

ResourceModel Model() { return testing::FmnistResourceModel(); }

// Deterministic stand-in for supernet accuracy: grows with MACs, saturating.
double SyntheticAccuracy(const core::SubnetConfig& c) {
  const core::Graph g = core::BuildSubnetGraph(core::FashionMnistSpace(), c).value();
  return 1.0 - std::exp(-static_cast<double>(g.TotalMacs()) / 4e6);
}

TEST(Operators, MutationAndCrossoverAlwaysStayInTheSpace) {
  const core::OfaSpace space = core::FashionMnistSpace();
  std::mt19937 rng(1);
  for (int trial = 0; trial < 500; ++trial) {
    const core::SubnetConfig a = core::SampleSubnet(space, rng), b = core::SampleSubnet(space, rng);
    EXPECT_TRUE(core::ValidateSubnet(space, Mutate(space, a, 0.3, rng)).ok());
    EXPECT_TRUE(core::ValidateSubnet(space, Crossover(space, a, b, rng)).ok());
  }
  const core::SubnetConfig a = core::SampleSubnet(space, rng);
  EXPECT_EQ(Mutate(space, a, 0.0, rng), a);
  EXPECT_EQ(Crossover(space, a, a, rng), a);
}

// With flash to spare the search prices a candidate with the wide layouts it would export:
// faster, more flash, never over the budget, the same SRAM or less; Deployed is that graph.
TEST(ResourceModel, PricesCandidatesWithTheWeightLayoutsTheFlashBudgetAllows) {
  const ResourceModel int8 = testing::FmnistResourceModel();
  std::mt19937 rng(8);
  int faster = 0;
  for (int trial = 0; trial < 10; ++trial) {
    const core::SubnetConfig config = core::SampleSubnet(int8.space(), rng);
    const Resources plain = int8.Measure(config).value();
    const int64_t budget = plain.flash_bytes + 40 * 1024;
    const ResourceModel wide(
        int8.space(), memory_planner::PlanMode::kInPlace,
        memory_planner::LoadCodeSize(kilonas::testing::SourcePath("hw_profiles/code_size/cortex-m7.json")).value(),
        latency_models::LatencyPredictor(
            latency_models::LoadLut(kilonas::testing::SourcePath("latency_models/luts/stm32f746.json")).value()),
        budget);
    const Resources priced = wide.Measure(config).value();
    EXPECT_LE(priced.flash_bytes, budget);
    EXPECT_GE(priced.flash_bytes, plain.flash_bytes);
    EXPECT_LE(priced.latency_ms, plain.latency_ms);
    EXPECT_LE(priced.sram_bytes, plain.sram_bytes);
    const core::Graph deployed = wide.Deployed(core::BuildSubnetGraph(int8.space(), config).value()).graph;
    EXPECT_EQ(core::CountWideLayers(deployed) > 0, priced.latency_ms < plain.latency_ms);
    faster += priced.latency_ms < plain.latency_ms;
  }
  EXPECT_GT(faster, 5);
}

TEST(DrawFeasible, EveryCandidateMeetsEveryBudget) {
  const ResourceModel model = Model();
  const Budgets budgets{12 * 1024, 200 * 1024, 20.0};
  std::mt19937 rng(2);
  const auto draws = DrawFeasible(model, budgets, 20, 5000, [&] { return core::SampleSubnet(model.space(), rng); });
  ASSERT_TRUE(draws.ok()) << draws.error().message;
  ASSERT_EQ(draws.value().size(), 20u);
  for (const Candidate& c : draws.value()) {
    EXPECT_LE(c.resources.sram_bytes, budgets.sram_bytes);
    EXPECT_LE(c.resources.flash_bytes, budgets.flash_bytes);
    EXPECT_LE(c.resources.latency_ms, budgets.latency_ms);
  }
}

TEST(DrawFeasible, InfeasibleBudgetNamesTheTightestConstraint) {
  const ResourceModel model = Model();
  std::mt19937 rng(3);
  auto draw = [&] { return core::SampleSubnet(model.space(), rng); };
  const auto sram = DrawFeasible(model, {1024, 1 << 30, 0}, 5, 200, draw);
  ASSERT_FALSE(sram.ok());
  EXPECT_NE(sram.error().message.find("infeasible budget"), std::string::npos);
  EXPECT_NE(sram.error().message.find("tightest constraint: SRAM (the smallest subnet needs"), std::string::npos)
      << sram.error().message;
  const auto latency = DrawFeasible(model, {1 << 30, 1 << 30, 0.01}, 5, 200, draw);
  ASSERT_FALSE(latency.ok());
  EXPECT_NE(latency.error().message.find("tightest constraint: latency"), std::string::npos) << latency.error().message;
  const auto flash = DrawFeasible(model, {1 << 30, 10 * 1024, 0}, 5, 200, draw);
  ASSERT_FALSE(flash.ok());
  EXPECT_NE(flash.error().message.find("tightest constraint: flash"), std::string::npos) << flash.error().message;
}

TEST(Evolve, SameSeedSameResultAndEveryCandidateFits) {
  const ResourceModel model = Model();
  const Budgets budgets{16 * 1024, 400 * 1024, 0};
  EvolutionConfig config;
  config.population = 16;
  config.generations = 4;
  std::mt19937 rng_a(7), rng_b(7);
  const auto a = Evolve(model, budgets, SyntheticAccuracy, config, rng_a);
  const auto b = Evolve(model, budgets, SyntheticAccuracy, config, rng_b);
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a.value().log.size(), 5u);
  for (size_t g = 0; g < a.value().log.size(); ++g) {
    EXPECT_EQ(a.value().log[g].best.config, b.value().log[g].best.config);
    EXPECT_DOUBLE_EQ(a.value().log[g].mean_accuracy, b.value().log[g].mean_accuracy);
  }
  // Elitism: the best never gets worse.
  for (size_t g = 1; g < a.value().log.size(); ++g)
    EXPECT_GE(a.value().log[g].best_accuracy, a.value().log[g - 1].best_accuracy);
  for (const Candidate& c : a.value().evaluated) {
    EXPECT_LE(c.resources.sram_bytes, budgets.sram_bytes);
    EXPECT_LE(c.resources.flash_bytes, budgets.flash_bytes);
  }
  std::mt19937 rng_c(8);
  const auto c = Evolve(model, budgets, SyntheticAccuracy, config, rng_c);
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c.value().log.back().best.config == a.value().log.back().best.config &&
               c.value().log.front().mean_accuracy == a.value().log.front().mean_accuracy);
}

TEST(RankSpaces, PrefersTheSubSpaceWithMostFittingMacs) {
  const ResourceModel model = Model();
  std::mt19937 rng(4);
  const std::vector<SpaceChoice> ranked = RankSpaces(model, {10 * 1024, 1 << 30, 0}, 12, rng).value();
  ASSERT_EQ(ranked.size(), 15u);
  EXPECT_GT(ranked.front().feasible, 0);
  for (size_t i = 1; i < ranked.size(); ++i) EXPECT_GE(ranked[i - 1].mean_feasible_macs, ranked[i].mean_feasible_macs);
  // 10 kB cannot hold the largest resolution at full width: that sub-space has nothing feasible.
  const auto big = std::find_if(ranked.begin(), ranked.end(),
                                [](const SpaceChoice& c) { return c.width == 1.0 && c.resolution == 32; });
  ASSERT_NE(big, ranked.end());
  EXPECT_EQ(big->feasible, 0);
}

TEST(ParetoFront, KeepsExactlyTheNonDominatedCandidates) {
  int id = 0;
  auto candidate = [&](double acc, double latency, int64_t sram) {
    Candidate c;
    c.accuracy = acc;
    c.resources.latency_ms = latency;
    c.resources.sram_bytes = sram;
    c.config.resolution = ++id;  // distinct configs
    return c;
  };
  const std::vector<Candidate> all = {candidate(0.9, 10, 100), candidate(0.8, 5, 100), candidate(0.7, 6, 120),
                                      candidate(0.85, 10, 50), candidate(0.6, 1, 200)};
  const std::vector<Candidate> front = ParetoFront(all);
  std::vector<double> accuracies;
  for (const Candidate& c : front) accuracies.push_back(c.accuracy);
  EXPECT_EQ(accuracies, (std::vector<double>{0.9, 0.85, 0.8, 0.6}));  // 0.7 is dominated by 0.8
}

}  // namespace
}  // namespace kilonas::search

namespace kilonas::search {
namespace {

TEST(Evolve, ResumedFromAnyGenerationEqualsTheUninterruptedRun) {
  const ResourceModel model = Model();
  const Budgets budgets{16 * 1024, 400 * 1024, 0};
  EvolutionConfig config;
  config.population = 12;
  config.generations = 4;
  std::vector<EvolutionState> states;
  std::mt19937 rng(11);
  const auto full =
      Evolve(model, budgets, SyntheticAccuracy, config, rng, [&](const EvolutionState& s) { states.push_back(s); });
  ASSERT_TRUE(full.ok());
  ASSERT_EQ(states.size(), 5u);
  for (int g = 0; g < 4; ++g) {
    std::mt19937 resumed_rng;
    std::istringstream(states[g].rng) >> resumed_rng;
    const auto resumed = Evolve(model, budgets, SyntheticAccuracy, config, resumed_rng, nullptr, &states[g]);
    ASSERT_TRUE(resumed.ok());
    ASSERT_EQ(resumed.value().log.size(), full.value().log.size());
    EXPECT_EQ(resumed.value().population.front().config, full.value().population.front().config);
    EXPECT_EQ(resumed.value().evaluated.size(), full.value().evaluated.size());
    EXPECT_DOUBLE_EQ(resumed.value().log.back().mean_accuracy, full.value().log.back().mean_accuracy);
  }
}

}  // namespace
}  // namespace kilonas::search

namespace kilonas::search {
namespace {

TEST(ParetoRanks, EachRankIsTheFrontOfTheRest) {
  const ResourceModel model = Model();
  std::mt19937 rng(21);
  std::vector<Candidate> all;
  for (int i = 0; i < 60; ++i) {
    Candidate c;
    c.config = core::SampleSubnet(model.space(), rng);
    c.resources = model.Measure(c.config).value();
    c.accuracy = SyntheticAccuracy(c.config) + std::uniform_real_distribution<double>(-0.05, 0.05)(rng);
    all.push_back(c);
  }
  const std::vector<int> ranks = ParetoRanks(all);
  const std::vector<Candidate> front = ParetoFront(all);
  EXPECT_EQ(static_cast<size_t>(std::count(ranks.begin(), ranks.end(), 0)), front.size());
  for (size_t i = 0; i < all.size(); ++i) {
    for (size_t j = 0; j < all.size(); ++j) {
      const bool j_dominates_i =
          all[j].accuracy >= all[i].accuracy && all[j].resources.latency_ms <= all[i].resources.latency_ms &&
          all[j].resources.sram_bytes <= all[i].resources.sram_bytes &&
          (all[j].accuracy > all[i].accuracy || all[j].resources.latency_ms < all[i].resources.latency_ms ||
           all[j].resources.sram_bytes < all[i].resources.sram_bytes);
      if (j_dominates_i) {
        EXPECT_LT(ranks[j], ranks[i]);
      }
    }
  }
}

TEST(Evolve, MultiObjectiveModeIsDeterministicAndReturnsTheMostAccurateFirst) {
  const ResourceModel model = Model();
  EvolutionConfig config;
  config.population = 16;
  config.generations = 3;
  config.multi_objective = true;
  std::mt19937 a_rng(5), b_rng(5);
  const auto a = Evolve(model, {16 * 1024, 400 * 1024, 0}, SyntheticAccuracy, config, a_rng);
  const auto b = Evolve(model, {16 * 1024, 400 * 1024, 0}, SyntheticAccuracy, config, b_rng);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.value().population.front().config, b.value().population.front().config);
  for (const Candidate& c : a.value().population) EXPECT_LE(c.accuracy, a.value().population.front().accuracy);
  EXPECT_DOUBLE_EQ(a.value().log.back().best_accuracy, a.value().population.front().accuracy);
}

TEST(Evolve, MultiObjectiveModeSelectsParentsByParetoRank) {
  const ResourceModel model = Model();
  EvolutionConfig config;
  config.population = 16;
  config.generations = 3;
  config.multi_objective = true;
  std::mt19937 rng(5);
  int reordered = 0;  // generations where rank order is not accuracy order: the mode did something
  const auto evolved =
      Evolve(model, {16 * 1024, 400 * 1024, 0}, SyntheticAccuracy, config, rng, [&](const EvolutionState& s) {
        const std::vector<Candidate>& population = s.result.population;  // selection order: parents first
        const std::vector<int> ranks = ParetoRanks(population);
        for (size_t i = 1; i < population.size(); ++i) {
          EXPECT_LE(ranks[i - 1], ranks[i]) << "generation " << s.generation << " position " << i;
          if (ranks[i - 1] == ranks[i]) {
            EXPECT_GE(population[i - 1].accuracy, population[i].accuracy);
          }
          reordered += population[i - 1].accuracy < population[i].accuracy;
        }
      });
  ASSERT_TRUE(evolved.ok());
  EXPECT_GT(reordered, 0);
}

}  // namespace
}  // namespace kilonas::search

#include "core/file_io.h"
#include "search/search_config.h"

namespace kilonas::search {
namespace {

TEST(SearchConfig, CommittedConfigsLoadAndBadKeysAreNamed) {
  for (const std::string& path : {kilonas::testing::SourcePath("configs/search_fmnist_quick.json"),
                                  kilonas::testing::SourcePath("configs/search_fmnist_full.json")}) {
    core::Result<SearchConfig> c = LoadSearchConfig(path);
    ASSERT_TRUE(c.ok()) << c.error().message;
    EXPECT_EQ(ParseSearchConfig(SearchConfigToJson(c.value()), "x").value().evolution.population,
              c.value().evolution.population);
  }
  EXPECT_EQ(
      LoadSearchConfig(kilonas::testing::SourcePath("configs/search_fmnist_full.json")).value().evolution.population,
      100);
  std::string text = core::ReadTextFile(kilonas::testing::SourcePath("configs/search_fmnist_quick.json")).value();
  std::string bad = text;
  bad.replace(bad.find("\"patch\""), 7, "\"tiles\"");
  EXPECT_NE(ParseSearchConfig(bad, "s.json").error().message.find("s.json: key 'execution_mode'"), std::string::npos);
  bad = text;
  bad.replace(bad.find("\"population\": 40"), 16, "\"population\": 2");
  EXPECT_NE(ParseSearchConfig(bad, "s.json").error().message.find("key 'evolution.population': must be in 4.."),
            std::string::npos);
  bad = text;
  bad.replace(bad.find("\"seed\": 1"), 9, "\"seed\": 1, \"generatoins\": 3");
  EXPECT_EQ(ParseSearchConfig(bad, "s.json").error().message, "s.json: unknown key 'generatoins'");
}

}  // namespace
}  // namespace kilonas::search

namespace kilonas::search {
namespace {

TEST(ChooseSpace, SkipsSubSpacesTooSparseToSeedAPopulation) {
  const std::vector<SpaceChoice> ranked = {{1.0, 32, 100, 2, 9e6}, {1.0, 28, 100, 40, 7e6}, {0.5, 16, 100, 0, 0}};
  EXPECT_EQ(ChooseSpace(ranked)->resolution, 28);
  EXPECT_EQ(ChooseSpace(ranked, 0.01)->resolution, 32);
  const std::vector<SpaceChoice> sparse = {{1.0, 32, 100, 2, 9e6}, {0.5, 16, 100, 0, 0}};
  EXPECT_EQ(ChooseSpace(sparse)->resolution, 32);  // nothing dense enough: the best with any fit
  EXPECT_EQ(ChooseSpace({{0.5, 16, 100, 0, 0}}), nullptr);
}

}  // namespace
}  // namespace kilonas::search

namespace kilonas::search {
namespace {

TEST(BudgetsFor, OverridesMustBeFinitePositiveAndBounded) {
  const core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/stm32f746.json")).value();
  EXPECT_EQ(BudgetsFor(hw, {}).value().sram_bytes, hw.SramBudget());
  EXPECT_EQ(BudgetsFor(hw, {}).value().latency_ms, 0.0);
  const Budgets given = BudgetsFor(hw, {32.0, 100.0, 5.0}).value();
  EXPECT_EQ(given.sram_bytes, 32 * 1024);
  EXPECT_EQ(given.flash_bytes, 100 * 1024);
  EXPECT_EQ(given.latency_ms, 5.0);
  const double nan = std::nan(""), inf = HUGE_VAL;
  for (const auto& [sram, flash, latency, named] :
       std::vector<std::tuple<std::optional<double>, std::optional<double>, std::optional<double>, std::string>>{
           {-5.0, {}, {}, "SRAM budget (kB) must be a finite number in (0, 1073741824], got -5"},
           {1e30, {}, {}, "SRAM budget (kB) must be a finite number in (0, 1073741824], got 1e+30"},
           {nan, {}, {}, "SRAM budget (kB)"},
           {inf, {}, {}, "SRAM budget (kB)"},
           {{}, -1.0, {}, "flash budget (kB)"},
           {{}, {}, 0.0, "latency budget (ms) must be a finite number in (0, 1000000000], got 0"},
           {{}, {}, -1.0, "latency budget (ms)"}}) {
    const core::Result<Budgets> b = BudgetsFor(hw, {sram, flash, latency});
    ASSERT_FALSE(b.ok()) << named;
    EXPECT_NE(b.error().message.find(named), std::string::npos) << b.error().message;
  }
}

// The objectives table read the way every consumer reads it: each objective's value and budget
// round-trip through its accessors, budgets violated one objective at a time are named, and a
// Pareto objective (only those) decides dominance.
TEST(Objectives, EachEntryDrivesRatiosViolationsAndDominance) {
  const core::HwProfile hw = core::LoadHwProfile(kilonas::testing::SourcePath("hw_profiles/stm32f746.json")).value();
  const Budgets b = BudgetsFor(hw, {100.0, 200.0, 50.0}).value();
  Resources fits;
  for (const Objective& o : Objectives()) o.set_used(fits, o.budget(b) / 2);
  EXPECT_FALSE(WorstViolation(fits, b).has_value());
  std::string flags;
  for (const Objective& o : Objectives()) {
    EXPECT_EQ(&ObjectiveOf(o.id), &o) << o.name;
    EXPECT_NE(BudgetFlags().find(o.flag), std::string::npos) << o.name;
    Resources over = fits;
    o.set_used(over, o.budget(b) * 1.5);
    EXPECT_DOUBLE_EQ(Ratio(over, b, o.id), 1.5) << o.name;
    ASSERT_TRUE(WorstViolation(over, b).has_value()) << o.name;
    EXPECT_EQ(*WorstViolation(over, b), o.id);
    // Less of a Pareto objective at equal accuracy dominates; less of another one does not.
    Resources less = fits;
    o.set_used(less, o.budget(b) / 4);
    EXPECT_EQ(Dominates(0.5, less, 0.5, fits), o.pareto) << o.name;
    EXPECT_FALSE(Dominates(0.5, fits, 0.5, less)) << o.name;
    EXPECT_EQ(Dominates(0.6, fits, 0.5, less), !o.pareto) << o.name;  // better accuracy, worse objective
  }
  // An optional budget left at 0 constrains nothing.
  const Budgets unconstrained = BudgetsFor(hw, {}).value();
  Resources slow = fits;
  ObjectiveOf(Constraint::kLatency).set_used(slow, 1e6);
  EXPECT_FALSE(WorstViolation(slow, unconstrained).has_value());
  EXPECT_EQ(FormatBudget(ObjectiveOf(Constraint::kLatency), unconstrained), "none");
  EXPECT_EQ(FormatAmount(ObjectiveOf(Constraint::kSram), 1536), "1.5 kB");
}

}  // namespace
}  // namespace kilonas::search
