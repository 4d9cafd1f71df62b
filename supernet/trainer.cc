#include "supernet/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <numeric>

#include "core/checked_file.h"
#include "core/file_io.h"
#include "core/logging.h"
#include "supernet/augment.h"
#include "supernet/evaluate.h"
#include "supernet/train_loop.h"

namespace kilonas::supernet {
namespace F = torch::nn::functional;
namespace {

template <typename T>
T Pick(const std::vector<T>& v, std::mt19937& rng) {
  return v[std::uniform_int_distribution<size_t>(0, v.size() - 1)(rng)];
}
template <typename T>
T Max(const std::vector<T>& v) { return *std::max_element(v.begin(), v.end()); }
template <typename T>
T Min(const std::vector<T>& v) { return *std::min_element(v.begin(), v.end()); }

std::string CheckpointPath(const TrainConfig& c) { return c.checkpoint_dir + "/checkpoint.pt"; }

// Image folders are decoded to the space's channel count and resized once to its largest
// resolution; every subnet then resizes from there like from any other data set.
data::DatasetOptions DatasetOptionsFor(const TrainConfig& c, const core::OfaSpace& space) {
  data::DatasetOptions options;
  options.validation_size = c.validation_size;
  options.max_validation_fraction = 0.2;  // a folder of a few hundred images under a config made for 60,000
  options.channels = space.in_channels;
  options.image_side = *std::max_element(space.resolution_choices.begin(), space.resolution_choices.end());
  return options;
}

// What a checkpoint belongs to, kept in its manifest: the space and the phase schedule.
core::FileTags CheckpointTags(const TrainConfig& c) {
  std::string phases;
  for (const Phase& p : c.phases) phases += (phases.empty() ? "" : ",") + p.name + ":" + std::to_string(p.epochs);
  return {{"kind", "supernet checkpoint"}, {"space", c.space}, {"phases", phases}};
}

// The input statistics a checkpoint was trained with. Checkpoints from before data sets carried
// statistics were all Fashion-MNIST, normalised with the published constants.
data::Normalization CheckpointNormalization(torch::serialize::InputArchive& archive) {
  torch::Tensor mean, std;
  if (!archive.try_read("kilonas.input_mean", mean) || !archive.try_read("kilonas.input_std", std)) {
    return data::LegacyFashionMnistNormalization();
  }
  auto values = [](const torch::Tensor& t) {
    const torch::Tensor c = t.to(torch::kFloat32).contiguous();
    return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  };
  return {values(mean), values(std)};
}

// A checkpoint normalises with the statistics of the data it was trained on; a data set whose own
// statistics differ by more than 5% is probably another data set than the checkpoint's.
void WarnIfOtherStatistics(const data::Normalization& data_set, const data::Normalization& checkpoint,
                           const std::string& source) {
  bool differs = data_set.mean.size() != checkpoint.mean.size();
  for (size_t c = 0; !differs && c < data_set.mean.size(); ++c) {
    differs = std::abs(data_set.mean[c] - checkpoint.mean[c]) > 0.05f * checkpoint.std[c] ||
              std::abs(data_set.std[c] - checkpoint.std[c]) > 0.05f * checkpoint.std[c];
  }
  if (differs) {
    auto text = [](const std::vector<float>& v) {
      std::string out;
      for (float x : v) out += (out.empty() ? "" : " ") + std::to_string(x);
      return out;
    };
    core::Logger()->warn("{}: pixel statistics differ from those the checkpoint was trained with (mean {} vs {}): "
                         "is this the data set it was trained on?",
                         source, text(data_set.mean), text(checkpoint.mean));
  }
}

}  // namespace

core::Result<std::unique_ptr<Trainer>> Trainer::Create(const TrainConfig& config, bool resume) {
  core::Result<core::OfaSpace> space = core::ResolveSpace(config.space);
  if (!space.ok()) return space.error();
  core::Result<data::Dataset> data = data::LoadDataset(config.data, DatasetOptionsFor(config, space.value()));
  if (!data.ok()) return data.error();
  const std::string source = data.value().source;
  if (space.value().num_classes == 0) space.value().num_classes = data.value().num_classes();
  if (data.value().num_classes() != space.value().num_classes) {
    return core::Error{source + ": " + std::to_string(data.value().num_classes()) + " classes; space '" +
                       space.value().name + "' classifies " + std::to_string(space.value().num_classes) +
                       " (its num_classes)"};
  }
  if (static_cast<int>(data.value().train.size()) < config.batch_size) {
    return core::Error{source + ": " + std::to_string(data.value().train.size()) +
                       " training images (after the validation split), fewer than one batch of " +
                       std::to_string(config.batch_size)};
  }
  torch::set_num_threads(config.threads);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  core::Logger()->info("{} LibTorch threads, OpenMP wait policy {}", config.threads,
                       policy != nullptr ? policy : "unset (libgomp spins idle threads)");
  torch::manual_seed(config.seed);
  std::unique_ptr<Trainer> trainer(new Trainer(config, space.value(), std::move(data).value()));
  if (resume) {
    if (!std::filesystem::exists(CheckpointPath(config))) {
      return core::Error{CheckpointPath(config) + ": no checkpoint to resume from"};
    }
    const data::Normalization computed = trainer->data_.normalization();
    if (core::Status s = trainer->LoadCheckpoint(); !s.ok()) return s.error();
    WarnIfOtherStatistics(computed, trainer->data_.normalization(), source);
  }
  // After the checkpoint: its normalisation is the one the network learned with.
  if (core::Status s = CheckImagesFitSpace(trainer->data_.train, trainer->space_, source); !s.ok()) return s.error();
  return trainer;
}

Trainer::Trainer(TrainConfig config, core::OfaSpace space, data::Dataset data)
    : config_(std::move(config)), space_(std::move(space)), data_(std::move(data)), net_(space_) {}

bool Trainer::Done() const { return phase_ >= static_cast<int>(config_.phases.size()); }

core::SubnetConfig Trainer::Sample(const Phase& phase, std::mt19937& rng, int resolution) const {
  core::SubnetConfig c = core::LargestSubnet(space_);
  c.resolution = resolution;
  if (phase.Has(Elastic::kWidth)) c.width_mult = Pick(space_.width_choices, rng);
  for (size_t s = 0; s < space_.stages.size(); ++s) {
    if (phase.Has(Elastic::kDepth)) c.stages[s].resize(Pick(space_.stages[s].depth_choices, rng));
    for (core::BlockChoice& b : c.stages[s]) {
      if (phase.Has(Elastic::kKernel)) b.kernel = Pick(space_.kernel_choices, rng);
      if (phase.Has(Elastic::kExpand)) b.expand = Pick(space_.expand_choices, rng);
    }
  }
  return c;
}

EpochReport Trainer::TrainEpoch(int phase_index, int epoch) {
  const Phase& phase = config_.phases[phase_index];
  int global_epoch = epoch;
  for (int p = 0; p < phase_index; ++p) global_epoch += config_.phases[p].epochs;
  std::mt19937 rng(static_cast<uint32_t>(config_.seed * 1000003u + static_cast<uint64_t>(global_epoch)));
  torch::manual_seed(config_.seed + static_cast<uint64_t>(global_epoch));

  const std::vector<int64_t> order = EpochOrder(data_.train.size(), rng, config_.train_images);
  const int steps = static_cast<int>(order.size()) / config_.batch_size;
  const double total_steps = static_cast<double>(steps) * phase.epochs;

  // The smallest subnet: the phase's elastic dimensions at their minimum.
  core::SubnetConfig smallest = core::LargestSubnet(space_);
  if (phase.Has(Elastic::kWidth)) smallest.width_mult = Min(space_.width_choices);
  for (size_t s = 0; s < space_.stages.size(); ++s) {
    if (phase.Has(Elastic::kDepth)) smallest.stages[s].resize(Min(space_.stages[s].depth_choices));
    for (core::BlockChoice& b : smallest.stages[s]) {
      if (phase.Has(Elastic::kKernel)) b.kernel = Min(space_.kernel_choices);
      if (phase.Has(Elastic::kExpand)) b.expand = Min(space_.expand_choices);
    }
  }
  const bool shrinking = phase.Has(Elastic::kKernel) || phase.Has(Elastic::kDepth) || phase.Has(Elastic::kExpand) ||
                         phase.Has(Elastic::kWidth);

  net_->train();
  EpochReport report{phase_index, epoch + 1, 0, 0, 0};
  double loss_sum = 0;
  int64_t correct = 0, seen = 0;
  const auto start = std::chrono::steady_clock::now();
  const double temperature = config_.distill_temperature;
  for (int step = 0; step < steps; ++step) {
    const double t = (epoch * steps + step) / total_steps;
    const double lr = CosineRate(phase.learning_rate, t);
    optimizer_->SetLearningRate(lr);
    const std::vector<int64_t> batch(order.begin() + static_cast<int64_t>(step) * config_.batch_size,
                                     order.begin() + static_cast<int64_t>(step + 1) * config_.batch_size);
    const int resolution =
        phase.Has(Elastic::kResolution) ? Pick(space_.resolution_choices, rng) : Max(space_.resolution_choices);
    const torch::Tensor images = AugmentedBatch(data_.train, batch, rng, config_);
    const torch::Tensor x = ToInput(images, data_.train, resolution);
    const torch::Tensor y = LabelsTensor(data_.train, batch);

    // Gradients reset to undefined, not zero: a block this step's subnets skip must not get
    // weight decay or a momentum step, whether or not it had a gradient before (a resumed run
    // has none), as PyTorch's zero_grad(set_to_none=True).
    optimizer_->ClearGradients();
    core::SubnetConfig largest = core::LargestSubnet(space_);
    largest.resolution = phase.largest_at_max_resolution ? Max(space_.resolution_choices) : resolution;
    net_->SetActive(largest);
    const torch::Tensor logits =
        net_->forward(largest.resolution == resolution ? x : ToInput(images, data_.train, largest.resolution));
    const torch::Tensor loss = F::cross_entropy(logits, y);
    loss.backward();
    const torch::Tensor soft = torch::softmax(logits.detach() / temperature, 1);
    if (shrinking) {
      std::vector<core::SubnetConfig> students = {smallest};
      students.back().resolution = resolution;
      for (int i = 0; i < config_.sandwich_random_subnets; ++i) students.push_back(Sample(phase, rng, resolution));
      for (const core::SubnetConfig& student : students) {
        net_->SetActive(student);
        const torch::Tensor out = net_->forward(x);
        torch::Tensor student_loss = F::cross_entropy(out, y);
        if (config_.distill_weight > 0) {
          student_loss = student_loss + config_.distill_weight * temperature * temperature *
                                            F::kl_div(torch::log_softmax(out / temperature, 1), soft,
                                                      F::KLDivFuncOptions().reduction(torch::kBatchMean));
        }
        student_loss.backward();
      }
    }
    optimizer_->Step();

    loss_sum += loss.item<double>();
    correct += logits.argmax(1).eq(y).sum().item<int64_t>();
    seen += static_cast<int64_t>(batch.size());
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if ((step + 1) % config_.progress_every_steps == 0 || step + 1 == steps) {
      core::Logger()->info("phase {} ({}/{}) epoch {}/{} step {}/{}: loss {:.4f}, train acc {:.2f}%, lr {:.4f}, {:.0f} images/s",
                           phase.name, phase_index + 1, config_.phases.size(), epoch + 1, phase.epochs, step + 1,
                           steps, loss_sum / (step + 1), 100.0 * correct / seen, lr, seen / seconds);
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.loss = steps > 0 ? loss_sum / steps : 0;
  report.accuracy = seen > 0 ? static_cast<double>(correct) / seen : 0;
  report.images_per_second = seconds > 0 ? seen / seconds : 0;
  return report;
}

core::Status Trainer::Run(int max_epochs) {
  for (int ran = 0; !Done() && (max_epochs < 0 || ran < max_epochs); ++ran) {
    const Phase& phase = config_.phases[phase_];
    if (epochs_done_ == 0) {
      // Before the first phase that shrinks the expand ratio, order channels by importance.
      const bool expand_starts = phase.Has(Elastic::kExpand) && (phase_ == 0 || !config_.phases[phase_ - 1].Has(Elastic::kExpand));
      if (expand_starts) net_->SortExpandedChannels();
      optimizer_ = MakeOptimizer(phase);
    }
    history_.push_back(TrainEpoch(phase_, epochs_done_));
    if (++epochs_done_ == phase.epochs) {
      ++phase_;
      epochs_done_ = 0;
    }
    if (core::Status s = SaveCheckpoint(); !s.ok()) return s;
  }
  return core::Status::Ok();
}

std::unique_ptr<Sgd> Trainer::MakeOptimizer(const Phase& phase) {
  return MakeSgd(net_->parameters(), phase.learning_rate, config_);
}

core::Status Trainer::SaveCheckpoint() const {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::create_directories(config_.checkpoint_dir, ec);
  if (ec) return core::Status::Fail(config_.checkpoint_dir + ": cannot create: " + ec.message());
  const std::string path = CheckpointPath(config_), temp = path + ".tmp";
  try {
    torch::serialize::OutputArchive archive;
    net_->save(archive);
    archive.write("kilonas.phase", torch::tensor(static_cast<int64_t>(phase_)));
    archive.write("kilonas.epochs_done", torch::tensor(static_cast<int64_t>(epochs_done_)));
    archive.write("kilonas.input_mean", torch::tensor(data_.normalization().mean));
    archive.write("kilonas.input_std", torch::tensor(data_.normalization().std));
    if (optimizer_ && epochs_done_ > 0) {
      // Momentum buffers by parameter index (a parameter no step has used yet has none).
      const std::vector<torch::Tensor>& momentum = optimizer_->momentum();
      for (size_t i = 0; i < momentum.size(); ++i) {
        if (momentum[i].defined()) archive.write("kilonas.momentum." + std::to_string(i), momentum[i]);
      }
    }
    archive.save_to(temp);
  } catch (const std::exception& e) {
    return core::Status::Fail(temp + ": cannot write checkpoint: " + e.what());
  }
  if (core::Status s = core::CommitChecked(temp, path, CheckpointTags(config_)); !s.ok()) return s;
  core::Logger()->info("checkpoint {} (phase {}, {} epochs done in it)", path, phase_, epochs_done_);
  return core::Status::Ok();
}

core::Status Trainer::LoadCheckpoint() {
  const std::string path = CheckpointPath(config_);
  const core::Status verified = core::VerifyChecked(
      path, CheckpointTags(config_),
      "restore it (with its manifest) from a copy, or move the checkpoint directory away to train again");
  if (!verified.ok()) return verified;
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    net_->load(archive);
    torch::Tensor phase, epochs;
    archive.read("kilonas.phase", phase);
    archive.read("kilonas.epochs_done", epochs);
    data_.SetNormalization(CheckpointNormalization(archive));
    phase_ = static_cast<int>(phase.item<int64_t>());
    epochs_done_ = static_cast<int>(epochs.item<int64_t>());
    if (phase_ < 0 || phase_ > static_cast<int>(config_.phases.size()) ||
        (!Done() && epochs_done_ >= config_.phases[phase_].epochs)) {
      return core::Status::Fail(path + ": checkpoint phase/epoch do not fit this config's phases");
    }
    if (!Done() && epochs_done_ > 0) {
      optimizer_ = MakeOptimizer(config_.phases[phase_]);
      for (size_t i = 0; i < optimizer_->momentum().size(); ++i) {
        torch::Tensor buffer;
        if (archive.try_read("kilonas.momentum." + std::to_string(i), buffer)) optimizer_->SetMomentum(i, buffer);
      }
    }
  } catch (const std::exception& e) {
    return core::Status::Fail(path + ": cannot load checkpoint (truncated, corrupt or from another space): " +
                              std::string(e.what()).substr(0, 200));
  }
  core::Logger()->info("resumed from {} at phase {}, {} epochs done in it", path, phase_, epochs_done_);
  return core::Status::Ok();
}

}  // namespace kilonas::supernet
