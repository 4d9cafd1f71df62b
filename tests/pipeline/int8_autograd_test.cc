// On-device training's gradients (ondevice::Trainer: the runtime's fp32 backward kernels on the
// int8 forward pass) against LibTorch autograd on the same dequantized, fake-quantized graph
// (pipeline/int8_autograd.h), on random residual networks, on a searched Fashion-MNIST winner
// exported as .tflite and on TFLite Micro's person detection model.
//
// The gradients are compared with torch's forward pass snapped to the engine's int8 values and
// its activations gated by the int8 output as the trainer gates them (AutogradOptions): the
// relative L2 error of each trainable tensor's gradient is then at most 1% (fp32 against
// float64; typically 1e-4). Left to round and gate by itself, torch's forward pass must still
// give the step's loss to within 0.05 + 5%: the engine rounds twice as TFLite does, so its int8
// values drift from float rounding by a step here and there, and with depth the gradients by
// 10-25% (the loss of a confident prediction moves most in relative terms).
#include "pipeline/int8_autograd.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "data/dataset.h"
#include "engine/quantizer.h"
#include "ondevice/trainer.h"
#include "pipeline/fine_tune.h"
#include "pipeline/int8_eval.h"
#include "tests/ondevice/random_models.h"
#include "tests/support/random_graphs.h"
#include "tests/support/source_path.h"
#include "tests/tflite/test_models.h"

namespace kilonas::pipeline {
namespace {

// ||ours - reference|| / ||reference|| over the first `values` entries (a weight gradient's
// updated channels; the bias's all).
double RelativeError(const std::vector<float>& ours, const std::vector<double>& reference) {
  double diff = 0, norm = 0;
  for (size_t i = 0; i < reference.size(); ++i) {
    diff += (ours[i] - reference[i]) * (ours[i] - reference[i]);
    norm += reference[i] * reference[i];
  }
  return norm == 0 ? std::sqrt(diff) : std::sqrt(diff / norm);
}

// The largest relative error of a training step's gradients on `input` against autograd's.
double WorstGradientError(const engine::Model& model, const ondevice::UpdateScheme& scheme,
                          const std::vector<int8_t>& input, int label) {
  ondevice::TrainerOptions record;
  record.record = true;
  core::Result<ondevice::Trainer> trainer = ondevice::Trainer::Create(model, scheme, record);
  EXPECT_TRUE(trainer.ok()) << trainer.error().message;
  core::Result<ondevice::StepResult> step = trainer.value().Step(input, label);
  EXPECT_TRUE(step.ok()) << step.error().message;
  // Torch rounding and gating each op's output itself gives nearly the same loss; the gradients
  // are compared on the engine's forward values and gates.
  core::Result<AutogradGradients> own = Int8ModelAutograd(model, input, label);
  EXPECT_TRUE(own.ok()) << own.error().message;
  EXPECT_NEAR(step.value().loss, own.value().loss, 0.05 * own.value().loss + 0.05);
  AutogradOptions options;
  options.forward = &trainer.value().ForwardValues();
  options.gate_by_output = true;
  core::Result<AutogradGradients> reference = Int8ModelAutograd(model, input, label, options);
  EXPECT_TRUE(reference.ok()) << reference.error().message;
  EXPECT_NEAR(step.value().loss, reference.value().loss, 1e-5 * reference.value().loss + 1e-6);
  double worst = 0;
  const ondevice::TrainingGraph& t = trainer.value().training();
  for (size_t i = 0; i < t.ops.size(); ++i) {
    if (t.ops[i].weight_channels > 0) {
      const size_t cout = model.constants[i].bias.size();
      std::vector<double> ref = reference.value().weight[i];
      const std::vector<float>& ours = trainer.value().WeightGradient(static_cast<int>(i));
      // Depthwise weights are channel-minor: compare the updated channels' entries only.
      const bool depthwise = model.graph.op(static_cast<int>(i)).kind == core::OpKind::kDepthwiseConv2d;
      for (size_t k = 0; k < ref.size(); ++k) {
        const size_t channel = depthwise ? k % cout : k / (ref.size() / cout);
        if (static_cast<int>(channel) >= t.ops[i].weight_channels) ref[k] = ours[k];
      }
      worst = std::max(worst, RelativeError(ours, ref));
    }
    if (t.ops[i].bias_grad) {
      worst =
          std::max(worst, RelativeError(trainer.value().BiasGradient(static_cast<int>(i)), reference.value().bias[i]));
    }
  }
  return worst;
}

TEST(OnDeviceGradients, MatchLibTorchAutogradOnRandomResidualNetworks) {
  std::mt19937 rng(51);
  for (int trial = 0; trial < 6; ++trial) {
    const engine::Model model = ondevice::testing::QuantizedRandomModel(kilonas::testing::RandomGraph(rng), rng);
    ondevice::UpdateScheme scheme = ondevice::LastLayers(model, 2 + trial % 3);
    for (ondevice::LayerUpdate& u : ondevice::LastBiases(model, 8).layers) {
      if (std::none_of(scheme.layers.begin(), scheme.layers.end(), [&](const auto& l) { return l.layer == u.layer; })) {
        scheme.layers.push_back(u);
      }
    }
    const double error = WorstGradientError(model, scheme, ondevice::testing::RandomInput(model, rng), trial % 3);
    EXPECT_LT(error, 0.01) << "trial " << trial;
  }
}

TEST(OnDeviceGradients, MatchLibTorchAutogradOnASearchedWinnerWithRealImages) {
  const engine::Model model = tflite::testing::ImportedTestModel("fmnist_sram8_flash64.tflite");
  core::Result<data::Dataset> set = data::LoadDataset(data::kDefaultDataSpec);
  ASSERT_TRUE(set.ok()) << set.error().message;
  // A sparse scheme: the biases of the last 8 layers, the classifier and two earlier layers'
  // weights at 1/2 and 1/4 of their channels.
  ondevice::UpdateScheme scheme = ondevice::LastBiases(model, 8);
  scheme.layers.back().weights.eighths = 8;
  scheme.layers[scheme.layers.size() - 3].weights.eighths = 4;
  scheme.layers[scheme.layers.size() - 5].weights.eighths = 2;
  const int side = model.graph.tensor(model.graph.input()).shape.h;
  for (int64_t i = 0; i < 4; ++i) {
    const std::vector<int8_t> x = engine::QuantizeInput(model, EngineImage(set.value().test, i, side));
    const double error = WorstGradientError(model, scheme, x, set.value().test.labels[static_cast<size_t>(i)]);
    EXPECT_LT(error, 0.01) << "image " << i;
  }
}

TEST(OnDeviceGradients, MatchLibTorchAutogradOnTfliteMicrosPersonDetection) {
  const engine::Model model = tflite::testing::ImportedTestModel("person_detect.tflite");
  std::mt19937 rng(52);
  ondevice::UpdateScheme scheme = ondevice::LastLayers(model, 3);
  const double error = WorstGradientError(model, scheme, ondevice::testing::RandomInput(model, rng), 1);
  EXPECT_LT(error, 0.01);
}

// A training run, not a step: the winner's classifier re-initialised (small random int8 weights,
// zero biases: about chance), then 300 Fashion-MNIST training images, batch 1, updating the
// classifier and the biases of the three layers before it: the int8 trainer (QAS) and LibTorch's
// float SGD on the same parameters reach test accuracies within 3 points of each other on 500
// test images (and both far above chance); without QAS the int8 trainer barely moves.
TEST(OnDeviceTraining, TracksLibTorchsFloatFineTuneOverThreeHundredSteps) {
  engine::Model model = tflite::testing::ImportedTestModel("fmnist_sram8_flash64.tflite");
  ondevice::UpdateScheme scheme = ondevice::LastBiases(model, 4);
  ASSERT_TRUE(ondevice::ReinitialiseClassifier(model, scheme, 53).ok());
  scheme.learning_rate = 0.01;
  core::Result<data::Dataset> set = data::LoadDataset(data::kDefaultDataSpec);
  ASSERT_TRUE(set.ok()) << set.error().message;
  const ondevice::TrainingSamples samples = TrainingSamplesOf(model, set.value(), 300, 300, 1);
  const int side = model.graph.tensor(model.graph.input()).shape.h;
  const int64_t tested = 500;
  std::vector<std::vector<int8_t>> test;
  for (int64_t i = 0; i < tested; ++i)
    test.push_back(engine::QuantizeInput(model, EngineImage(set.value().test, i, side)));

  ondevice::Trainer trainer = ondevice::Trainer::Create(model, scheme).value();
  for (int64_t k = 0; k < samples.steps; ++k) ASSERT_TRUE(trainer.Step(samples.inputs[k], samples.labels[k]).ok());
  const double before = Int8Accuracy(model, set.value().test, side, tested).value();
  const double int8 = Int8Accuracy(trainer.model(), set.value().test, side, tested).value();
  core::Result<TorchFineTuneResult> torch_run = TorchFineTune(model, scheme, samples, test);
  ASSERT_TRUE(torch_run.ok()) << torch_run.error().message;
  std::vector<int> predictions = torch_run.value().predictions;
  const double fp = AccuracyOf(predictions, set.value().test);
  ondevice::UpdateScheme plain = scheme;
  plain.qas = false;
  ondevice::Trainer without = ondevice::Trainer::Create(model, plain).value();
  for (int64_t k = 0; k < samples.steps; ++k) ASSERT_TRUE(without.Step(samples.inputs[k], samples.labels[k]).ok());
  const double no_qas = Int8Accuracy(without.model(), set.value().test, side, tested).value();
  std::printf(
      "re-initialised head: %.1f%%; after 300 steps: int8 + QAS %.1f%%, int8 without QAS %.1f%%, LibTorch "
      "float %.1f%%\n",
      100 * before, 100 * int8, 100 * no_qas, 100 * fp);
  EXPECT_LT(before, 0.3);
  EXPECT_LT(no_qas, int8 - 0.2);  // plain int8 SGD's steps mostly round to nothing
  EXPECT_GT(int8, 0.6);
  EXPECT_NEAR(int8, fp, 0.03);
}

}  // namespace
}  // namespace kilonas::pipeline
