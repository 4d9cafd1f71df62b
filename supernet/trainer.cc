#include "supernet/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <numeric>
#include <sstream>

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
T Max(const std::vector<T>& v) {
  return *std::max_element(v.begin(), v.end());
}
template <typename T>
T Min(const std::vector<T>& v) {
  return *std::min_element(v.begin(), v.end());
}

std::string CheckpointPath(const TrainConfig& c) { return c.checkpoint_dir + "/checkpoint.pt"; }

// Image folders are decoded to the space's channel count and resized once to its largest
// resolution; every subnet then resizes from there like from any other data set.
constexpr int64_t kFewTrainingSteps = 500;

data::DatasetOptions DatasetOptionsFor(const TrainConfig& c, const core::OfaSpace& space) {
  data::DatasetOptions options;
  options.validation_size = c.validation_size;
  options.max_validation_fraction = 0.2;  // a folder of a few hundred images under a config made for 60,000
  options.channels = space.in_channels;
  options.background = c.background;
  options.image_side = *std::max_element(space.resolution_choices.begin(), space.resolution_choices.end());
  return options;
}

// The steps a run will take, and a warning when they are too few to learn much: train_images
// caps an epoch, so a small folder under a config made for 50,000 images gets few steps.
void LogTrainingLength(const TrainConfig& c, size_t train_images) {
  const int64_t steps = TrainingSteps(train_images, c);
  const size_t per_epoch = EpochImages(train_images, c.train_images);
  core::Logger()->info("training: {} phases, {} steps of batch {} in all ({} of {} training images per epoch)",
                       c.phases.size(), steps, c.batch_size, per_epoch, train_images);
  if (steps < kFewTrainingSteps) {
    core::Logger()->warn(
        "only {} training steps: too few to learn much (fewer than {}); raise the phases' epochs "
        "in the supernet config (an epoch here is {} steps)",
        steps, kFewTrainingSteps, per_epoch / static_cast<size_t>(c.batch_size));
  }
}

// What a checkpoint belongs to, kept in its manifest: the space (core::SpaceIdentity: a space
// file by its content, not its path) and the phase schedule.
core::FileTags CheckpointTags(const TrainConfig& c, const std::string& space_identity) {
  std::string phases;
  for (const Phase& p : c.phases) phases += (phases.empty() ? "" : ",") + p.name + ":" + std::to_string(p.epochs);
  return {{"kind", "supernet checkpoint"}, {"space", space_identity}, {"phases", phases}};
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
    core::Logger()->warn(
        "{}: pixel statistics differ from those the checkpoint was trained with (mean {} vs {}): "
        "is this the data set it was trained on?",
        source, text(data_set.mean), text(checkpoint.mean));
  }
}

core::Result<torch::Device> TrainingDevice(const std::string& name) {
  torch::Device device(torch::kCPU);
  try {
    device = torch::Device(name);
  } catch (const std::exception&) {
    return core::Error{"device '" + name + "': not a device name (cpu, cuda, cuda:N)"};
  }
  if (device.is_cuda() && !torch::cuda::is_available()) {
    return core::Error{"device '" + name +
                       "': this LibTorch has no usable CUDA device (torch::cuda::is_available() "
                       "is false); train with --device cpu"};
  }
  return device;
}

}  // namespace

core::Result<std::unique_ptr<Trainer>> Trainer::Create(const TrainConfig& config, bool resume,
                                                       std::shared_ptr<Collective> collective) {
  if (!collective) collective = Collective::Connect(DistributedOptions{}).value();  // world size 1: no group
  if (config.batch_size < collective->world_size()) {
    return core::Error{"batch_size " + std::to_string(config.batch_size) + " is smaller than the world size " +
                       std::to_string(collective->world_size()) +
                       ": every rank needs at least one image of each batch"};
  }
  core::Result<core::OfaSpace> space = core::ResolveSpace(config.space);
  if (!space.ok()) return space.error();
  const std::string space_identity = core::SpaceIdentity(space.value(), config.space);
  core::Result<data::Dataset> data = data::LoadDataset(config.data, DatasetOptionsFor(config, space.value()));
  if (!data.ok()) return data.error();
  const std::string source = data.value().source;
  if (collective->rank() == 0) {
    for (const std::string& line : data::DescribeClasses(data.value())) core::Logger()->info("{}: {}", source, line);
  }
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
  core::Result<torch::Device> device = TrainingDevice(config.device);
  if (!device.ok()) return device.error();
  const int threads = SetTrainingThreads(config.threads);
  const char* policy = std::getenv("OMP_WAIT_POLICY");
  core::Logger()->info("{} LibTorch threads, OpenMP wait policy {}", threads,
                       policy != nullptr ? policy : "unset (libgomp spins idle threads)");
  torch::manual_seed(config.seed);
  LogTrainingLength(config, data.value().train.size());
  std::unique_ptr<Trainer> trainer(new Trainer(config, space.value(), std::move(data).value(), collective));
  trainer->device_ = device.value();
  trainer->space_identity_ = space_identity;
  const std::string rank = collective->distributed() ? "rank " + std::to_string(collective->rank()) + ": " : "";
  if (resume) {
    if (!std::filesystem::exists(CheckpointPath(config))) {
      return core::Error{rank + CheckpointPath(config) + ": no checkpoint to resume from" +
                         (collective->rank() > 0 ? " (every rank reads it: share the directory or copy it)" : "")};
    }
    const data::Normalization computed = trainer->data_.normalization();
    if (core::Status s = trainer->LoadCheckpoint(); !s.ok()) return s.error();
    WarnIfOtherStatistics(computed, trainer->data_.normalization(), source);
  }
  if (core::Status s = Guard([&] { return trainer->SynchronizeRanks(); }); !s.ok()) return s.error();
  // After the checkpoint: its normalisation is the one the network learned with.
  if (core::Status s = CheckImagesFitSpace(trainer->data_.train, trainer->space_, source); !s.ok()) return s.error();
  return trainer;
}

Trainer::Trainer(TrainConfig config, core::OfaSpace space, data::Dataset data, std::shared_ptr<Collective> collective)
    : config_(std::move(config)),
      space_(std::move(space)),
      data_(std::move(data)),
      net_(space_),
      collective_(std::move(collective)) {}

// Every rank starts from rank 0's weights and statistics, at the same point of the schedule.
core::Status Trainer::SynchronizeRanks() {
  if (!collective_->distributed()) return core::Status::Ok();
  const std::vector<double> points =
      collective_->AllGather({static_cast<double>(phase_), static_cast<double>(epochs_done_)});
  for (int r = 1; r < collective_->world_size(); ++r) {
    if (points[2 * r] != points[0] || points[2 * r + 1] != points[1]) {
      return core::Status::Fail("rank " + std::to_string(r) + " resumed at phase " +
                                std::to_string(static_cast<int>(points[2 * r])) + " after " +
                                std::to_string(static_cast<int>(points[2 * r + 1])) + " epochs, rank 0 at phase " +
                                std::to_string(static_cast<int>(points[0])) + " after " +
                                std::to_string(static_cast<int>(points[1])) + ": the ranks read different checkpoints");
    }
  }
  std::vector<torch::Tensor> state = net_->parameters();
  for (const torch::Tensor& b : net_->buffers()) state.push_back(b);
  collective_->Broadcast(state);
  if (optimizer_) {
    std::vector<torch::Tensor> momentum;
    for (const torch::Tensor& m : optimizer_->momentum()) {
      if (m.defined()) momentum.push_back(m);
    }
    collective_->Broadcast(momentum);
  }
  return core::Status::Ok();
}

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

// Subnets drawn from the trainer's own space always have a network: a failure here is a bug.
void Trainer::ActivateSampled(const core::SubnetConfig& config) {
  if (core::Status s = net_->SetActive(config); !s.ok()) throw std::logic_error("trainer: " + s.message());
}

core::SubnetConfig Trainer::SmallestOf(const Phase& phase) const {
  core::SubnetConfig smallest = core::LargestSubnet(space_);
  if (phase.Has(Elastic::kWidth)) smallest.width_mult = Min(space_.width_choices);
  for (size_t s = 0; s < space_.stages.size(); ++s) {
    if (phase.Has(Elastic::kDepth)) smallest.stages[s].resize(Min(space_.stages[s].depth_choices));
    for (core::BlockChoice& b : smallest.stages[s]) {
      if (phase.Has(Elastic::kKernel)) b.kernel = Min(space_.kernel_choices);
      if (phase.Has(Elastic::kExpand)) b.expand = Min(space_.expand_choices);
    }
  }
  return smallest;
}

Trainer::Shard Trainer::ShardOfBatch() const {
  const int ranks = collective_->world_size(), rank = collective_->rank(), batch = config_.batch_size;
  Shard shard;
  shard.begin = batch / ranks * rank + std::min(rank, batch % ranks);
  shard.size = batch / ranks + (rank < batch % ranks ? 1 : 0);
  shard.weight = static_cast<double>(shard.size) / batch;
  return shard;
}

Trainer::StepBatch Trainer::PrepareBatch(const Phase& phase, const std::vector<int64_t>& order, int step,
                                         const Shard& shard, int global_epoch, std::mt19937& resolution_rng) const {
  StepBatch b;
  const auto first = order.begin() + static_cast<int64_t>(step) * config_.batch_size + shard.begin;
  const std::vector<int64_t> batch(first, first + shard.size);
  const int top_resolution = Max(space_.resolution_choices);
  b.resolution = phase.Has(Elastic::kResolution) ? Pick(space_.resolution_choices, resolution_rng) : top_resolution;
  const torch::Tensor images =
      AugmentedBatch(data_.train, batch, AugmentStream(config_.seed, global_epoch, step), shard.begin, config_);
  b.x = ToInput(images, data_.train, b.resolution).to(device_);
  const bool teacher_on_top = phase.largest_at_max_resolution && b.resolution != top_resolution;
  b.x_top = teacher_on_top ? ToInput(images, data_.train, top_resolution).to(device_) : b.x;
  b.y = LabelsTensor(data_.train, batch).to(device_);
  return b;
}

// The sandwich rule on one batch: the largest subnet on the labels, then (when the phase shrinks)
// the smallest and a few random ones on the labels and the largest's softened outputs; gradients
// accumulate, are summed over the ranks and applied once.
Trainer::StepResult Trainer::TrainStep(const Phase& phase, const StepBatch& batch, const core::SubnetConfig& smallest,
                                       double shard_weight, std::mt19937& rng) {
  const double temperature = config_.distill_temperature;
  // Gradients reset to undefined, not zero: a block this step's subnets skip must not get
  // weight decay or a momentum step, whether or not it had a gradient before (a resumed run
  // has none), as PyTorch's zero_grad(set_to_none=True).
  optimizer_->ClearGradients();
  core::SubnetConfig largest = core::LargestSubnet(space_);
  largest.resolution = phase.largest_at_max_resolution ? Max(space_.resolution_choices) : batch.resolution;
  ActivateSampled(largest);
  const torch::Tensor logits = net_->forward(batch.x_top);  // x itself unless the teacher sees the top resolution
  const torch::Tensor loss = F::cross_entropy(logits, batch.y);
  (loss * shard_weight).backward();
  const bool shrinking = phase.Has(Elastic::kKernel) || phase.Has(Elastic::kDepth) || phase.Has(Elastic::kExpand) ||
                         phase.Has(Elastic::kWidth);
  if (shrinking) {
    const torch::Tensor soft = torch::softmax(logits.detach() / temperature, 1);
    std::vector<core::SubnetConfig> students = {smallest};
    students.back().resolution = batch.resolution;
    for (int i = 0; i < config_.sandwich_random_subnets; ++i) students.push_back(Sample(phase, rng, batch.resolution));
    for (const core::SubnetConfig& student : students) {
      ActivateSampled(student);
      const torch::Tensor out = net_->forward(batch.x);
      torch::Tensor student_loss = F::cross_entropy(out, batch.y);
      if (config_.distill_weight > 0) {
        student_loss = student_loss + config_.distill_weight * temperature * temperature *
                                          F::kl_div(torch::log_softmax(out / temperature, 1), soft,
                                                    F::KLDivFuncOptions().reduction(torch::kBatchMean));
      }
      (student_loss * shard_weight).backward();
    }
  }
  if (collective_->distributed()) {  // the parameters this step used: the same on every rank
    std::vector<torch::Tensor> gradients;
    for (const torch::Tensor& p : net_->parameters()) {
      if (p.grad().defined()) gradients.push_back(p.grad());
    }
    collective_->AllReduceSum(gradients);
  }
  optimizer_->Step();
  return {loss, logits};
}

// Loss, correct and seen images summed over every rank.
Trainer::Totals Trainer::AllRanks(const Totals& mine) const {
  const std::vector<double> all = collective_->AllGather({mine.loss_sum, mine.correct, mine.seen});
  Totals sum;
  for (size_t r = 0; r < all.size(); r += 3) sum.loss_sum += all[r], sum.correct += all[r + 1], sum.seen += all[r + 2];
  return sum;
}

// Training: the network on the training device, batch norm synchronized over the ranks (or as
// the config says). After it: on the CPU, where evaluation, search, export and the checkpoint
// want it, each process normalising its own batches.
void Trainer::MoveForTraining(bool training) {
  const bool synchronized = training && (collective_->distributed() || config_.synchronized_batch_norm);
  SynchronizeBatchNorm(*net_, synchronized ? collective_.get() : nullptr);
  const torch::Device device = training ? device_ : torch::Device(torch::kCPU);
  net_->to(device);
  optimizer_->MoveMomentumTo(device);
  if (training) net_->train();
}

EpochReport Trainer::TrainEpoch(int phase_index, int epoch) {
  const Phase& phase = config_.phases[phase_index];
  int global_epoch = epoch;
  for (int p = 0; p < phase_index; ++p) global_epoch += config_.phases[p].epochs;
  std::mt19937 rng(static_cast<uint32_t>(config_.seed * 1000003u + static_cast<uint64_t>(global_epoch)));
  torch::manual_seed(config_.seed + static_cast<uint64_t>(global_epoch));
  const std::vector<int64_t> order = EpochOrder(data_.train.size(), rng, config_.train_images);
  const int steps = static_cast<int>(order.size()) / config_.batch_size;
  const core::SubnetConfig smallest = SmallestOf(phase);
  const Shard shard = ShardOfBatch();  // loss means are over the whole batch: each shard weighted by its share

  const int64_t reduced_before = collective_->bytes_reduced();
  MoveForTraining(true);

  EpochReport report{phase_index, epoch + 1, 0, 0, 0, 0};
  Totals totals;
  const auto start = std::chrono::steady_clock::now();
  // The next step's batch is made (augmented, resized, normalised, moved to the device) while
  // this one trains. It draws from its own streams (the resolutions', one per image), not `rng`.
  std::mt19937 resolution_rng(
      static_cast<uint32_t>(SplitMix64(config_.seed * 7919u + static_cast<uint64_t>(global_epoch))));
  auto prepare = [&](int step) { return PrepareBatch(phase, order, step, shard, global_epoch, resolution_rng); };
  std::future<StepBatch> next = std::async(std::launch::async, prepare, 0);
  for (int step = 0; step < steps; ++step) {
    const double lr =
        CosineRate(phase.learning_rate, (epoch * steps + step) / (static_cast<double>(steps) * phase.epochs));
    optimizer_->SetLearningRate(lr);
    const StepBatch batch = next.get();
    if (step + 1 < steps) next = std::async(std::launch::async, prepare, step + 1);
    const StepResult result = TrainStep(phase, batch, smallest, shard.weight, rng);

    totals.loss_sum += result.loss.item<double>() * shard.size;
    totals.correct += result.logits.argmax(1).eq(batch.y).sum().item<double>();
    totals.seen += shard.size;
    if ((step + 1) % config_.progress_every_steps != 0 && step + 1 != steps) continue;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const Totals all = AllRanks(totals);
    if (collective_->rank() == 0) {
      core::Logger()->info(
          "phase {} ({}/{}) epoch {}/{} step {}/{}: loss {:.4f}, train acc {:.2f}%, lr {:.4f}, {:.0f} images/s",
          phase.name, phase_index + 1, config_.phases.size(), epoch + 1, phase.epochs, step + 1, steps,
          all.loss_sum / all.seen, 100.0 * all.correct / all.seen, lr, all.seen / seconds);
    }
    if (step + 1 == steps) {
      report.loss = all.loss_sum / all.seen;
      report.accuracy = all.correct / all.seen;
      report.images_per_second = all.seen / seconds;
    }
  }
  MoveForTraining(false);
  if (steps > 0) {
    report.reduced_bytes_per_step = static_cast<double>(collective_->bytes_reduced() - reduced_before) / steps;
  }
  return report;
}

core::Status Trainer::Run(int max_epochs) {
  // A collective that fails (a rank died or stopped answering) ends every rank's run with its cause.
  return Guard([&] { return RunEpochs(max_epochs); });
}

// Every rank holds the same weights after a step (the same summed gradients, applied alike);
// a difference means the ranks ran different code or data.
core::Status Trainer::CheckRanksAgree() const {
  if (!collective_->distributed()) return core::Status::Ok();
  double sum = 0;
  for (const torch::Tensor& p : net_->parameters()) sum += p.to(torch::kFloat64).sum().item<double>();
  const std::vector<double> sums = collective_->AllGather({sum});
  for (int r = 1; r < collective_->world_size(); ++r) {
    if (sums[static_cast<size_t>(r)] != sums[0]) {
      return core::Status::Fail("rank " + std::to_string(r) + "'s weights differ from rank 0's after the epoch (sum " +
                                std::to_string(sums[static_cast<size_t>(r)]) + " vs " + std::to_string(sums[0]) +
                                "): do all ranks run the same build, config and data?");
    }
  }
  return core::Status::Ok();
}

core::Status Trainer::RunEpochs(int max_epochs) {
  for (int ran = 0; !Done() && (max_epochs < 0 || ran < max_epochs); ++ran) {
    const Phase& phase = config_.phases[phase_];
    if (epochs_done_ == 0) {
      // Before the first phase that shrinks the expand ratio, order channels by importance.
      const bool expand_starts =
          phase.Has(Elastic::kExpand) && (phase_ == 0 || !config_.phases[phase_ - 1].Has(Elastic::kExpand));
      if (expand_starts) net_->SortExpandedChannels();
      optimizer_ = MakeOptimizer(phase);
    }
    history_.push_back(TrainEpoch(phase_, epochs_done_));
    if (++epochs_done_ == phase.epochs) {
      ++phase_;
      epochs_done_ = 0;
    }
    if (core::Status s = CheckRanksAgree(); !s.ok()) return s;
    if (collective_->rank() > 0) continue;  // rank 0 writes the checkpoints
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
    // Serialized in memory, written by core's file I/O: a full disk or a file size limit is then
    // one error naming the file (LibTorch's own file writer can throw from its destructor, which
    // aborts), and the previous checkpoint stays as it was.
    std::ostringstream bytes;
    archive.save_to(bytes);
    if (core::Status s = core::WriteFileAtomic(temp, bytes.str()); !s.ok()) return s;
  } catch (const std::exception& e) {
    return core::Status::Fail(temp + ": cannot write checkpoint: " + e.what());
  }
  if (core::Status s = core::CommitChecked(temp, path, CheckpointTags(config_, space_identity_)); !s.ok()) return s;
  core::Logger()->info("checkpoint {} (phase {}, {} epochs done in it)", path, phase_, epochs_done_);
  return core::Status::Ok();
}

core::Status Trainer::LoadCheckpoint() {
  const std::string path = CheckpointPath(config_);
  const core::Status verified = core::VerifyChecked(
      path, CheckpointTags(config_, space_identity_),
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
