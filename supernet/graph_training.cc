#include "supernet/graph_training.h"

#include <chrono>

#include "core/logging.h"
#include "supernet/augment.h"
#include "supernet/evaluate.h"
#include "supernet/train_loop.h"

namespace kilonas::supernet {

std::vector<EpochReport> TrainGraphModule(GraphModule& module, const ImageSet& train, const TrainConfig& recipe,
                                          int epochs, double learning_rate) {
  SetTrainingThreads(recipe.threads);
  const core::Graph& graph = module->graph();
  const int resolution = graph.tensor(graph.input()).shape.h;
  std::unique_ptr<Sgd> optimizer = MakeSgd(module->parameters(), learning_rate, recipe);
  std::vector<EpochReport> reports;
  module->train();
  for (int epoch = 0; epoch < epochs; ++epoch) {
    std::mt19937 rng(static_cast<uint32_t>(recipe.seed * 1000003u + static_cast<uint64_t>(epoch)));
    torch::manual_seed(recipe.seed + static_cast<uint64_t>(epoch));
    const std::vector<int64_t> order = EpochOrder(train.size(), rng, recipe.train_images);
    const int steps = static_cast<int>(order.size()) / recipe.batch_size;
    double loss_sum = 0;
    int64_t correct = 0, seen = 0;
    const auto start = std::chrono::steady_clock::now();
    for (int step = 0; step < steps; ++step) {
      optimizer->SetLearningRate(
          CosineRate(learning_rate, (epoch * steps + step) / static_cast<double>(epochs * steps)));
      const std::vector<int64_t> batch(order.begin() + static_cast<int64_t>(step) * recipe.batch_size,
                                       order.begin() + static_cast<int64_t>(step + 1) * recipe.batch_size);
      const torch::Tensor x =
          ToInput(AugmentedBatch(train, batch, AugmentStream(recipe.seed, epoch, step), 0, recipe), train, resolution);
      const torch::Tensor y = LabelsTensor(train, batch);
      optimizer->ClearGradients();
      const torch::Tensor logits = module->forward(x);
      const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
      loss.backward();
      optimizer->Step();
      loss_sum += loss.item<double>();
      correct += logits.argmax(1).eq(y).sum().item<int64_t>();
      seen += static_cast<int64_t>(batch.size());
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EpochReport report{0, epoch + 1, steps > 0 ? loss_sum / steps : 0, seen > 0 ? double(correct) / seen : 0,
                       seconds > 0 ? seen / seconds : 0};
    core::Logger()->info("fixed network, r{}: epoch {}/{}: loss {:.4f}, train acc {:.2f}%, {:.0f} images/s", resolution,
                         epoch + 1, epochs, report.loss, 100 * report.accuracy, report.images_per_second);
    reports.push_back(report);
  }
  module->eval();
  return reports;
}

core::Result<core::FloatModel> FineTuneSubnet(Supernet& net, const core::SubnetConfig& config, const ImageSet& train,
                                              const EvalOptions& bn, const TrainConfig& recipe, int epochs,
                                              double learning_rate) {
  core::Result<core::FloatModel> extracted = RecalibratedSubnet(net, config, train, bn);
  if (!extracted.ok()) return extracted.error();
  GraphModule module(extracted.value().graph);
  if (core::Status s = module->LoadFloat(extracted.value()); !s.ok()) return s.error();
  TrainGraphModule(module, train, recipe, epochs, learning_rate);
  return module->ToFloat();
}

}  // namespace kilonas::supernet
