// The host training step (ondevice/trainer.h): it learns, touches only what its scheme updates,
// averages a batch exactly, and its forward pass is the engine's.
#include "ondevice/trainer.h"

#include <gtest/gtest.h>

#include <random>

#include "engine/interpreter.h"
#include "tests/ondevice/random_models.h"
#include "tests/support/random_graphs.h"

namespace kilonas::ondevice {
namespace {

using testing::QuantizedRandomModel;
using testing::RandomInput;

int OpIndex(const core::Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.ops().size(); ++i) {
    if (g.op(static_cast<int>(i)).name == name) return static_cast<int>(i);
  }
  return -1;
}

TEST(Trainer, LearnsASampleThroughAMaxPoolAndTouchesOnlyWhatItsSchemeUpdates) {
  std::mt19937 rng(41);
  const engine::Model model = QuantizedRandomModel(kilonas::testing::PoolNetwork(/*softmax=*/true), rng);
  UpdateScheme s;
  s.layers = {{"expand", true, {4}}, {"fc", true, {8}}};  // expand: the first half of its channels
  s.learning_rate = 0.05;
  core::Result<Trainer> trainer = Trainer::Create(model, s);
  ASSERT_TRUE(trainer.ok()) << trainer.error().message;
  const std::vector<int8_t> x = RandomInput(model, rng);
  const int label = 1;
  std::vector<float> losses;
  for (int step = 0; step < 30; ++step) {
    core::Result<StepResult> r = trainer.value().Step(x, label);
    ASSERT_TRUE(r.ok()) << r.error().message;
    losses.push_back(r.value().loss);
  }
  EXPECT_LT(losses.back(), 0.5f * losses.front()) << losses.front() << " -> " << losses.back();
  const engine::Model& trained = trainer.value().model();
  const int expand = OpIndex(model.graph, "expand");
  for (size_t i = 0; i < model.constants.size(); ++i) {
    const engine::OpConstants &before = model.constants[i], &after = trained.constants[i];
    EXPECT_EQ(before.multiplier, after.multiplier);
    if (model.graph.op(static_cast<int>(i)).name != "expand" && model.graph.op(static_cast<int>(i)).name != "fc") {
      EXPECT_EQ(before.weights, after.weights) << model.graph.op(static_cast<int>(i)).name;
      EXPECT_EQ(before.bias, after.bias) << model.graph.op(static_cast<int>(i)).name;
    }
  }
  // expand's channels 8..15 are frozen, some of 0..7 moved.
  const std::vector<int8_t>&w0 = model.constants[expand].weights, &w1 = trained.constants[expand].weights;
  const size_t half = w0.size() / 2;
  EXPECT_TRUE(std::equal(w0.begin() + half, w0.end(), w1.begin() + half));
  EXPECT_FALSE(std::equal(w0.begin(), w0.begin() + half, w1.begin()));
}

TEST(Trainer, ABatchOfTwoEqualSamplesIsOneStepOfOne) {
  std::mt19937 rng(42);
  const engine::Model model = QuantizedRandomModel(kilonas::testing::PoolNetwork(), rng);
  UpdateScheme s = LastLayers(model, 2);
  s.learning_rate = 0.1;
  Trainer one = Trainer::Create(model, s).value();
  s.batch_size = 2;
  Trainer two = Trainer::Create(model, s).value();
  const std::vector<int8_t> x = RandomInput(model, rng);
  ASSERT_TRUE(one.Step(x, 0).ok());
  ASSERT_TRUE(two.Step(x, 0).ok());
  ASSERT_TRUE(two.Step(x, 0).ok());
  bool moved = false;
  for (size_t i = 0; i < model.constants.size(); ++i) {
    EXPECT_EQ(one.model().constants[i].weights, two.model().constants[i].weights);
    EXPECT_EQ(one.model().constants[i].bias, two.model().constants[i].bias);
    moved |= one.model().constants[i].bias != model.constants[i].bias;
  }
  EXPECT_TRUE(moved);
}

TEST(Trainer, ItsForwardPassIsTheEnginesOnRandomResidualNetworks) {
  std::mt19937 rng(43);
  for (int trial = 0; trial < 6; ++trial) {
    const engine::Model model = QuantizedRandomModel(kilonas::testing::RandomGraph(rng), rng);
    Trainer trainer = Trainer::Create(model, LastLayers(model, 1 + trial % 4)).value();
    const std::vector<int8_t> x = RandomInput(model, rng);
    engine::Interpreter engine = engine::Interpreter::Create(model).value();
    const std::vector<int8_t> out = engine.Invoke(x).value();
    core::Result<StepResult> r = trainer.Step(x, 0);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ(r.value().predicted, std::max_element(out.begin(), out.end()) - out.begin()) << "trial " << trial;
    EXPECT_TRUE(std::isfinite(r.value().loss));
  }
}

// Reordering changes where buffers lie and when they are freed, never a value: on random residual
// networks with random sparse schemes, the two arenas (each of its planned size, canary checked)
// train to the same bits.
TEST(Trainer, ReorderedUpdatesTrainToTheSameBitsInTheirPlannedArena) {
  std::mt19937 rng(45);
  for (int trial = 0; trial < 4; ++trial) {
    const engine::Model model = QuantizedRandomModel(kilonas::testing::RandomGraph(rng), rng);
    UpdateScheme s = LastBiases(model, 6);
    for (LayerUpdate& u : s.layers) u.weights.eighths = (1 << std::uniform_int_distribution<int>(0, 4)(rng)) / 2;
    s.learning_rate = 0.05;
    TrainerOptions later;
    later.reorder = false;
    core::Result<Trainer> a_trainer = Trainer::Create(model, s), b_trainer = Trainer::Create(model, s, later);
    ASSERT_TRUE(a_trainer.ok() && b_trainer.ok()) << (a_trainer.ok() ? b_trainer.error() : a_trainer.error()).message;
    Trainer &reordered = a_trainer.value(), &at_end = b_trainer.value();
    EXPECT_LE(reordered.arena_bytes(), at_end.arena_bytes());
    for (int step = 0; step < 3; ++step) {
      const std::vector<int8_t> x = RandomInput(model, rng);
      const core::Result<StepResult> a = reordered.Step(x, step % 2), b = at_end.Step(x, step % 2);
      ASSERT_TRUE(a.ok() && b.ok()) << (a.ok() ? b.error().message : a.error().message);
      EXPECT_EQ(a.value().loss, b.value().loss);
    }
    for (size_t i = 0; i < model.constants.size(); ++i) {
      EXPECT_EQ(reordered.model().constants[i].weights, at_end.model().constants[i].weights) << "trial " << trial;
      EXPECT_EQ(reordered.model().constants[i].bias, at_end.model().constants[i].bias) << "trial " << trial;
    }
  }
}

TEST(Trainer, RefusesAnInputOrLabelThatDoesNotFit) {
  std::mt19937 rng(44);
  const engine::Model model = QuantizedRandomModel(kilonas::testing::PoolNetwork(), rng);
  Trainer trainer = Trainer::Create(model, LastBiases(model, 1)).value();
  EXPECT_FALSE(trainer.Step(std::vector<int8_t>(3), 0).ok());
  core::Result<StepResult> r = trainer.Step(RandomInput(model, rng), 99);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("label 99"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace kilonas::ondevice
