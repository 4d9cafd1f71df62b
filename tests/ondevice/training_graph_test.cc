// The training step derived from the graph (ondevice/training_graph.h): backward only where a
// trainable parameter needs it, checked on a fixed network by hand and on random networks with
// residual adds against reachability computed by search.
#include "ondevice/training_graph.h"

#include <gtest/gtest.h>

#include <functional>
#include <random>

#include "tests/ondevice/graph_only.h"
#include "tests/support/random_graphs.h"

namespace kilonas::ondevice {
namespace {

using testing::GraphOnly;

int OpIndex(const core::Graph& g, const std::string& name) {
  for (size_t i = 0; i < g.ops().size(); ++i) {
    if (g.op(static_cast<int>(i)).name == name) return static_cast<int>(i);
  }
  return -1;
}

// PoolNetwork: stem (conv, ReLU6), pool1, expand (pointwise, ReLU6), dw (ReLU6), pool_max, pool2,
// gap, fc (the logits).
TEST(TrainingGraph, TheLastBiasAloneNeedsOneBackwardStepAndTheLogits) {
  const core::Graph g = kilonas::testing::PoolNetwork();
  UpdateScheme s;
  s.layers = {{"fc", true, {0}}};
  core::Result<TrainingGraph> t = DeriveTrainingGraph(GraphOnly(g), s);
  ASSERT_TRUE(t.ok()) << t.error().message;
  EXPECT_EQ(t.value().BackwardOps(), 1);
  const OpTraining& fc = t.value().ops[static_cast<size_t>(OpIndex(g, "fc"))];
  EXPECT_TRUE(fc.bias_grad);
  EXPECT_EQ(fc.weight_channels, 0);
  EXPECT_FALSE(fc.input_grad[0]);  // nothing before it is trained
  EXPECT_EQ(t.value().KeptBytes(g), g.tensor(g.output()).Bytes());
}

TEST(TrainingGraph, AnEarlyLayersWeightsNeedTheBackwardPathFromTheLossToIt) {
  const core::Graph g = kilonas::testing::PoolNetwork(/*softmax=*/true);
  UpdateScheme s;
  s.layers = {{"expand", false, {2}}};
  core::Result<TrainingGraph> t = DeriveTrainingGraph(GraphOnly(g), s);
  ASSERT_TRUE(t.ok()) << t.error().message;
  const TrainingGraph& tg = t.value();
  for (const char* name : {"stem", "pool1", "softmax"}) {
    EXPECT_FALSE(tg.ops[static_cast<size_t>(OpIndex(g, name))].Backward()) << name;
  }
  for (const char* name : {"expand", "dw", "pool_max", "pool2", "gap", "fc"}) {
    EXPECT_TRUE(tg.ops[static_cast<size_t>(OpIndex(g, name))].Backward()) << name;
  }
  const int expand = OpIndex(g, "expand"), dw = OpIndex(g, "dw"), fc = OpIndex(g, "fc");
  EXPECT_EQ(tg.ops[static_cast<size_t>(expand)].weight_channels, 4);  // 1/4 of 16
  EXPECT_FALSE(tg.ops[static_cast<size_t>(expand)].input_grad[0]);
  EXPECT_TRUE(tg.ops[static_cast<size_t>(dw)].input_grad[0]);
  EXPECT_EQ(tg.loss_tensor, g.op(fc).output);  // the softmax folds into the loss
  // Kept whole: expand's input (its weight gradient), the max pool's input (its backward step
  // finds each window's largest value) and the logits; gated: the ReLU6 output of expand, a bit
  // per value (dw's is kept whole anyway).
  const int pool_max = OpIndex(g, "pool_max");
  std::vector<bool> kept(g.tensors().size(), false), gated(g.tensors().size(), false);
  for (int tensor : {g.op(expand).inputs[0], g.op(pool_max).inputs[0], g.op(fc).output}) {
    kept[static_cast<size_t>(tensor)] = true;
  }
  gated[static_cast<size_t>(g.op(expand).output)] = true;
  EXPECT_EQ(g.op(pool_max).inputs[0], g.op(dw).output);
  EXPECT_EQ(tg.kept, kept);
  EXPECT_EQ(tg.gated, gated);
  const int64_t expected = g.InputOf(g.op(expand)).Bytes() + g.InputOf(g.op(pool_max)).Bytes() +
                           g.OutputOf(g.op(fc)).Bytes() + (g.OutputOf(g.op(expand)).shape.Elements() + 7) / 8;
  EXPECT_EQ(tg.KeptBytes(g), expected);
}

// Reachability by search: whether tensor `to` is `from` or is computed from it.
bool Reaches(const core::Graph& g, int from, int to) {
  const std::vector<std::vector<int>> consumers = g.Consumers();
  std::vector<bool> seen(g.tensors().size(), false);
  std::function<bool(int)> visit = [&](int t) {
    if (t == to) return true;
    if (seen[static_cast<size_t>(t)]) return false;
    seen[static_cast<size_t>(t)] = true;
    for (int op : consumers[static_cast<size_t>(t)]) {
      if (visit(g.op(op).output)) return true;
    }
    return false;
  };
  return visit(from);
}

UpdateScheme RandomScheme(const core::Graph& g, std::mt19937& rng) {
  UpdateScheme s;
  for (const core::Op& op : g.ops()) {
    if (!core::Traits(op.kind).has_weights || !std::bernoulli_distribution(0.2)(rng)) continue;
    const int eighths[] = {0, 1, 2, 4, 8};
    s.layers.push_back({op.name, std::bernoulli_distribution(0.5)(rng), {eighths[rng() % 5]}});
  }
  if (s.layers.empty()) s.layers.push_back({g.op(static_cast<int>(g.ops().size()) - 1).name, true, {0}});
  if (!s.layers.back().bias && s.layers.back().weights.eighths == 0) s.layers.back().bias = true;
  return s;
}

TEST(TrainingGraph, BackwardStepsAndKeptTensorsAreWhatReachabilitySays) {
  std::mt19937 rng(8);
  for (int trial = 0; trial < 40; ++trial) {
    const core::Graph g = kilonas::testing::RandomGraph(rng);
    const UpdateScheme s = RandomScheme(g, rng);
    core::Result<TrainingGraph> t = DeriveTrainingGraph(GraphOnly(g), s);
    ASSERT_TRUE(t.ok()) << t.error().message;
    const TrainingGraph& tg = t.value();
    std::vector<int> trainable;
    for (size_t i = 0; i < g.ops().size(); ++i) {
      if (tg.ops[i].bias_grad || tg.ops[i].weight_channels > 0) trainable.push_back(static_cast<int>(i));
    }
    // The gradient at tensor x is needed when x is computed from a trainable layer's output and
    // the loss from x.
    const auto needed = [&](int x) {
      if (!Reaches(g, x, tg.loss_tensor)) return false;
      for (int j : trainable) {
        if (Reaches(g, g.op(j).output, x)) return true;
      }
      return false;
    };
    std::vector<bool> kept(g.tensors().size(), false), masked(g.tensors().size(), false);
    kept[static_cast<size_t>(tg.loss_tensor)] = true;
    for (size_t i = 0; i < g.ops().size(); ++i) {
      const core::Op& op = g.op(static_cast<int>(i));
      ASSERT_EQ(tg.ops[i].output_grad, needed(op.output)) << "trial " << trial << " op " << op.name;
      for (size_t k = 0; k < op.inputs.size(); ++k) {
        ASSERT_EQ(tg.ops[i].input_grad[k], tg.ops[i].output_grad && needed(op.inputs[k]))
            << "trial " << trial << " op " << op.name << " input " << k;
      }
      if (static_cast<int>(i) < trainable.front()) {
        ASSERT_FALSE(tg.ops[i].Backward()) << op.name;
      }
      if (tg.ops[i].weight_channels > 0) kept[static_cast<size_t>(op.inputs[0])] = true;
      if (tg.ops[i].output_grad && op.activation != core::Activation::kNone) {
        masked[static_cast<size_t>(op.output)] = true;
      }
    }
    ASSERT_EQ(tg.kept, kept) << "trial " << trial;
    for (size_t x = 0; x < kept.size(); ++x) ASSERT_EQ(tg.gated[x], masked[x] && !kept[x]) << "trial " << trial;
    // Pruning: the full update (every layer's bias and weights) computes and keeps at least as much.
    core::Result<TrainingGraph> full = DeriveTrainingGraph(GraphOnly(g), LastLayers(GraphOnly(g), 1000));
    ASSERT_TRUE(full.ok());
    EXPECT_GE(full.value().BackwardOps(), tg.BackwardOps());
    EXPECT_GE(full.value().KeptBytes(g), tg.KeptBytes(g));
  }
}

}  // namespace
}  // namespace kilonas::ondevice
