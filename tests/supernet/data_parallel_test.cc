// Data-parallel training (supernet/distributed.h) on 127.0.0.1: synchronized batch norm equals
// batch norm on the whole batch, and a training step on two ranks of nas_train equals the step
// one process takes with the whole batch, also when a run resumes with another world size.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <future>
#include <random>
#include <string>
#include <thread>

#include "core/file_io.h"
#include "supernet/distributed.h"
#include "supernet/trainer.h"
#include "tests/support/source_path.h"

namespace kilonas::supernet {
namespace {

const std::string kOut = std::string(KILONAS_TEST_OUT) + "/data_parallel";

// `ranks` processes of nas_train through scripts/launch_local.sh; "" or the output on failure.
std::string RunRanks(int ranks, const std::string& dir, const std::string& extra) {
  const std::string log = dir + ".log";
  const std::string command = "bash scripts/launch_local.sh " + std::to_string(ranks) +
                              " " KILONAS_NAS_TRAIN
                              " --config tests/apps/dist_train.json --threads 1 --checkpoint-dir " +
                              dir + " " + extra + " > " + log + " 2>&1";
  if (std::system(command.c_str()) == 0) return "";
  const core::Result<std::string> text = core::ReadTextFile(log);
  return "failed: " + command + "\n" + (text.ok() ? text.value() : "(no log)");
}

Supernet Load(const std::string& dir) {
  Supernet net(core::FashionMnistSpace());
  torch::serialize::InputArchive archive;
  archive.load_from(dir + "/checkpoint.pt");
  net->load(archive);
  return net;
}

// One step, from the same weights, on one process and on two ranks, compared by the change it
// makes to every parameter and batch-norm statistic: the ranks sum gradients and statistics in
// another order than one process, which moves a change by about 1e-6 of its size, plus the
// rounding of the stored float (a weight near 1 that moved by 4e-6 is 60 ulps away). A wrong
// shard, loss weight or missing reduction changes a step by its whole size. (Steps are compared
// from the same start, not after several: batch norm divides channels of nearly constant
// activations by sqrt(eps), so rounding differences grow from step to step.)
// The absolute floor is for parameters whose gradient is zero but for rounding: the bias of a
// batch norm whose every consumer is normalised again (a constant shift cancels) moves by 1e-9.
constexpr double kRelativeTolerance = 1e-4, kAbsoluteTolerance = 1e-7;

// The largest |change in a - change in b| over the tolerance of its element's tensor
// (kRelativeTolerance of the tensor's largest change, plus 4 ulps of its largest value, plus
// kAbsoluteTolerance): <= 1 passes.
double WorstStepDifference(Supernet& start, Supernet& a, Supernet& b) {
  double worst = 0;
  auto compare = [&](const torch::OrderedDict<std::string, torch::Tensor>& s,
                     const torch::OrderedDict<std::string, torch::Tensor>& x,
                     const torch::OrderedDict<std::string, torch::Tensor>& y) {
    for (const auto& item : s) {
      const torch::Tensor from = item.value().to(torch::kFloat64);
      const torch::Tensor da = x[item.key()].to(torch::kFloat64) - from, db = y[item.key()].to(torch::kFloat64) - from;
      const double ulp = 1.2e-7 * x[item.key()].abs().max().item<double>();
      const double allowed = kRelativeTolerance * da.abs().max().item<double>() + 4 * ulp + kAbsoluteTolerance;
      worst = std::max(worst, (da - db).abs().max().item<double>() / allowed);
    }
  };
  compare(start->named_parameters(), a->named_parameters(), b->named_parameters());
  compare(start->named_buffers(), a->named_buffers(), b->named_buffers());
  return worst;
}

// A mistyped WORLD_SIZE would keep rank 0 waiting for ranks that never come: refused at once.
TEST(ResolveDistributed, AWorldSizeBeyondTheLimitFromTheEnvironmentIsRefused) {
  setenv("WORLD_SIZE", "100000", 1);
  const core::Result<DistributedOptions> huge = ResolveDistributed({});
  unsetenv("WORLD_SIZE");
  ASSERT_FALSE(huge.ok());
  EXPECT_NE(huge.error().message.find("world size 100000 (--world-size or WORLD_SIZE): must be in [1, 256]"),
            std::string::npos)
      << huge.error().message;
}

// A port that accepts connections and never answers (not a kilonas rank 0): the rendezvous ends
// in an error soon after --dist-timeout, not a wait without end inside the store's client.
TEST(DataParallel, ASilentMasterPortEndsTheRendezvousAfterTheTimeout) {
  const int server = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(server, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;  // any free port; the kernel completes handshakes into the backlog
  ASSERT_EQ(bind(server, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(listen(server, 8), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(getsockname(server, reinterpret_cast<sockaddr*>(&address), &length), 0);
  DistributedOptions o;
  o.rank = 1;
  o.world_size = 2;
  o.master_port = ntohs(address.sin_port);
  o.timeout_seconds = 2;
  auto connecting = std::async(std::launch::async, [&] { return Collective::Connect(o); });
  if (connecting.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
    ADD_FAILURE() << "still waiting for the silent master after 60 s";
    std::_Exit(1);  // the stuck call would keep the test binary alive
  }
  const core::Result<std::shared_ptr<Collective>> c = connecting.get();
  close(server);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("rank 1 of 2: rendezvous at 127.0.0.1:" + std::to_string(o.master_port)),
            std::string::npos)
      << c.error().message;
}

// Two ranks in two threads of this process: synchronized batch norm on two halves of a batch
// gives the outputs, input gradients, weight gradients and running statistics of plain batch
// norm on the whole batch.
TEST(DataParallel, SynchronizedBatchNormOnHalvesEqualsBatchNormOnTheWholeBatch) {
  torch::manual_seed(3);
  const torch::Tensor x = torch::randn({8, 6, 5, 5}) * 3 + 1, upstream = torch::randn({8, 6, 5, 5});
  ElasticBatchNorm whole(6);
  torch::Tensor input = x.clone().requires_grad_(true);
  (whole->forward(input) * upstream).sum().backward();
  const torch::Tensor expected_out = whole->forward(x.clone()).detach();  // a second step: statistics move again
  const int port = 20000 + static_cast<int>(std::random_device()() % 30000);
  std::vector<torch::Tensor> out(2), input_grad(2), weight_grad(2), running_mean(2), running_var(2);
  std::vector<std::string> errors(2);
  auto rank = [&](int r) {
    DistributedOptions o;
    o.rank = r;
    o.world_size = 2;
    o.master_port = port;
    o.timeout_seconds = 30;
    auto collective = Collective::Connect(o);
    if (!collective.ok()) {
      errors[r] = collective.error().message;
      return;
    }
    ElasticBatchNorm bn(6);
    bn->sync = collective.value().get();
    torch::Tensor half = x.slice(0, 4 * r, 4 * r + 4).clone().requires_grad_(true);
    (bn->forward(half) * upstream.slice(0, 4 * r, 4 * r + 4)).sum().backward();
    out[r] = bn->forward(x.slice(0, 4 * r, 4 * r + 4)).detach();
    input_grad[r] = half.grad();
    weight_grad[r] = bn->weight.grad().clone();
    collective.value()->AllReduceSum({weight_grad[r]});
    running_mean[r] = bn->running_mean.clone();
    running_var[r] = bn->running_var.clone();
  };
  std::thread other(rank, 1);
  rank(0);
  other.join();
  ASSERT_EQ(errors[0] + errors[1], "");
  EXPECT_TRUE(torch::allclose(torch::cat({out[0], out[1]}), expected_out, 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(torch::cat({input_grad[0], input_grad[1]}), input.grad(), 1e-5, 1e-5));
  EXPECT_TRUE(torch::allclose(weight_grad[0], whole->weight.grad(), 1e-4, 1e-5))
      << weight_grad[0] << whole->weight.grad();
  EXPECT_TRUE(torch::allclose(weight_grad[1], weight_grad[0]));
  EXPECT_TRUE(torch::allclose(running_mean[0], whole->running_mean, 1e-5, 1e-6));
  EXPECT_TRUE(torch::allclose(running_var[1], whole->running_var, 1e-5, 1e-6));
}

TEST(DataParallel, EachStepOnTwoRanksEqualsTheStepOfOneProcessWithTheWholeBatch) {
  std::filesystem::remove_all(kOut);
  std::filesystem::create_directories(kOut);
  TrainConfig config = LoadTrainConfig(kilonas::testing::SourcePath("tests/apps/dist_train.json")).value();
  config.checkpoint_dir = kOut + "/initial";
  std::unique_ptr<Trainer> initial = Trainer::Create(config, false).value();  // the weights every run starts from

  // tests/apps/dist_train.json: one step per epoch; the first trains the largest subnet, the
  // second is a sandwich step (largest, smallest, random subnet; distillation; every elastic dimension).
  ASSERT_EQ(RunRanks(1, kOut + "/one", "--stop-after-epochs 1"), "");
  ASSERT_EQ(RunRanks(2, kOut + "/two", "--stop-after-epochs 1"), "");
  Supernet one = Load(kOut + "/one"), two = Load(kOut + "/two");
  const double first = WorstStepDifference(initial->supernet(), one, two);

  // The sandwich step from one process's checkpoint, on one process and on two ranks (a resume
  // with another world size).
  std::filesystem::copy(kOut + "/one", kOut + "/one_then_two");
  ASSERT_EQ(RunRanks(1, kOut + "/one", "--resume"), "");
  ASSERT_EQ(RunRanks(2, kOut + "/one_then_two", "--resume"), "");
  Supernet sandwich_one = Load(kOut + "/one"), sandwich_two = Load(kOut + "/one_then_two");
  const double second = WorstStepDifference(one, sandwich_one, sandwich_two);
  std::printf(
      "two ranks vs one process, largest step difference over its tolerance: largest subnet %.3f, sandwich %.3f\n",
      first, second);
  EXPECT_LE(first, 1.0);
  EXPECT_LE(second, 1.0);

  // The comparison can fail: a step on half the batch (rank 0's shard alone) is another step.
  config.batch_size = 32;
  config.train_images = 32;
  config.checkpoint_dir = kOut + "/half";
  std::unique_ptr<Trainer> half = Trainer::Create(config, false).value();
  ASSERT_TRUE(half->Run(1).ok());
  EXPECT_GT(WorstStepDifference(initial->supernet(), one, half->supernet()), 100.0);
}

}  // namespace
}  // namespace kilonas::supernet
