#include "supernet/distributed.h"

// c10d declares its Gloo process group only with this set (Debian's libtorch is built with it;
// the gloo headers come from libgloo-dev).
#define USE_C10D_GLOO 1
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "core/crc32.h"

namespace kilonas::supernet {

struct Collective::Group {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> gloo;
};

namespace {

// The first line of an exception's text (Gloo's carry a backtrace).
std::string FirstLine(const std::exception& e) {
  const std::string what = e.what();
  return what.substr(0, what.find('\n'));
}

core::Result<std::optional<int>> IntFromEnvironment(const char* name) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') return std::optional<int>();
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < -1000000 || value > 1000000) {
    return core::Error{std::string("environment variable ") + name + "='" + text + "': not an integer"};
  }
  return std::optional<int>(static_cast<int>(value));
}

}  // namespace

core::Result<DistributedOptions> ResolveDistributed(const DistributedFlags& flags) {
  DistributedOptions o;
  struct Source {
    const std::optional<int>& flag;
    const char* variable;
    int& into;
    const char* flag_name;
  };
  for (const Source& s : {Source{flags.rank, "RANK", o.rank, "--rank"},
                          Source{flags.world_size, "WORLD_SIZE", o.world_size, "--world-size"},
                          Source{flags.master_port, "MASTER_PORT", o.master_port, "--master-port"}}) {
    if (s.flag) {
      s.into = *s.flag;
      continue;
    }
    core::Result<std::optional<int>> env = IntFromEnvironment(s.variable);
    if (!env.ok()) return env.error();
    if (env.value()) s.into = *env.value();
  }
  if (flags.timeout_seconds) o.timeout_seconds = *flags.timeout_seconds;
  if (flags.master_addr) {
    o.master_addr = *flags.master_addr;
  } else if (const char* addr = std::getenv("MASTER_ADDR"); addr != nullptr && *addr != '\0') {
    o.master_addr = addr;
  }
  if (o.world_size < 1 || o.world_size > kMaxWorldSize) {
    return core::Error{"world size " + std::to_string(o.world_size) + " (--world-size or WORLD_SIZE): must be in [1, " +
                       std::to_string(kMaxWorldSize) + "]"};
  }
  if (o.rank < 0 || o.rank >= o.world_size) {
    return core::Error{"rank " + std::to_string(o.rank) + " (--rank or RANK): must be in [0, " +
                       std::to_string(o.world_size - 1) + "] for world size " + std::to_string(o.world_size)};
  }
  if (o.master_port < 1 || o.master_port > 65535) {
    return core::Error{"master port " + std::to_string(o.master_port) +
                       " (--master-port or MASTER_PORT): must be in [1, 65535]"};
  }
  if (o.timeout_seconds < 1)
    return core::Error{"distributed timeout " + std::to_string(o.timeout_seconds) + " s: must be >= 1"};
  return o;
}

Collective::Collective(DistributedOptions options) : options_(std::move(options)) {}
Collective::~Collective() = default;

namespace {

// How long past --dist-timeout the rendezvous may take before this rank gives up waiting for it.
constexpr int kRendezvousGraceSeconds = 5;

// The store and the Gloo group: the part of the rendezvous that talks to the master.
core::Result<std::unique_ptr<Collective::Group>> MeetTheRanks(const DistributedOptions& options) {
  const std::chrono::milliseconds timeout = std::chrono::seconds(options.timeout_seconds);
  try {
    auto group = std::make_unique<Collective::Group>();
    c10d::TCPStoreOptions store;
    store.port = static_cast<uint16_t>(options.master_port);
    store.isServer = options.rank == 0;
    store.numWorkers = static_cast<size_t>(options.world_size);
    store.waitWorkers = true;
    store.timeout = timeout;
    group->store = c10::make_intrusive<c10d::TCPStore>(options.master_addr, store);
    auto gloo = c10d::ProcessGroupGloo::Options::create(timeout);
    // The interface the ranks talk over: GLOO_SOCKET_IFNAME as in PyTorch, loopback when the
    // master is on this machine, else the address this machine's hostname resolves to.
    const char* interface = std::getenv("GLOO_SOCKET_IFNAME");
    const bool local = options.master_addr == "127.0.0.1" || options.master_addr == "localhost";
    gloo->devices.push_back(interface != nullptr && *interface != '\0'
                                ? c10d::ProcessGroupGloo::createDeviceForInterface(interface)
                            : local ? c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1")
                                    : c10d::ProcessGroupGloo::createDefaultDevice());
    group->gloo = c10::make_intrusive<c10d::ProcessGroupGloo>(group->store, options.rank, options.world_size, gloo);
    return group;
  } catch (const std::exception& e) {
    return core::Error{FirstLine(e)};
  }
}

// The rendezvous's outcome, shared with the thread that runs it.
struct Meeting {
  std::mutex mutex;
  std::condition_variable done;
  std::optional<core::Result<std::unique_ptr<Collective::Group>>> result;
};

}  // namespace

core::Result<std::shared_ptr<Collective>> Collective::Connect(const DistributedOptions& options) {
  std::shared_ptr<Collective> c(new Collective(options));
  if (!c->distributed()) return c;
  const std::string where = "rank " + std::to_string(options.rank) + " of " + std::to_string(options.world_size) +
                            ": rendezvous at " + options.master_addr + ":" + std::to_string(options.master_port);
  // c10d's TCPStore client waits without a deadline for a master that accepts the connection and
  // then stays silent (not a kilonas rank 0), so the rendezvous runs on a thread of its own and
  // this one stops waiting a few seconds after the timeout; the stuck thread is left behind for
  // the process's exit.
  auto meeting = std::make_shared<Meeting>();
  std::thread([meeting, options] {
    auto result = MeetTheRanks(options);
    const std::lock_guard<std::mutex> lock(meeting->mutex);
    meeting->result.emplace(std::move(result));
    meeting->done.notify_all();
  }).detach();
  std::unique_lock<std::mutex> lock(meeting->mutex);
  const auto deadline = std::chrono::seconds(options.timeout_seconds + kRendezvousGraceSeconds);
  if (!meeting->done.wait_for(lock, deadline, [&] { return meeting->result.has_value(); })) {
    return core::Error{where + ": no answer within " + std::to_string(options.timeout_seconds) +
                       " s (--dist-timeout): is a kilonas rank 0 of this run serving that port?"};
  }
  if (!meeting->result->ok()) {
    return core::Error{where + " failed within " + std::to_string(options.timeout_seconds) +
                       " s: " + meeting->result->error().message};
  }
  c->group_ = std::move(meeting->result->value());
  return c;
}

core::Status Collective::CheckSameRun(const std::string& identity) {
  if (!distributed()) return core::Status::Ok();
  const double digest = core::Crc32(identity.data(), identity.size());
  std::vector<double> all;
  try {
    all = AllGather({digest, static_cast<double>(identity.size())});
  } catch (const std::exception& e) {
    return core::Status::Fail(e.what());
  }
  for (int r = 1; r < world_size(); ++r) {
    if (all[static_cast<size_t>(2 * r)] != all[0] || all[static_cast<size_t>(2 * r + 1)] != all[1]) {
      return core::Status::Fail("rank " + std::to_string(r) + " of " + std::to_string(world_size()) +
                                " was started with another configuration than rank 0 (config, space, data set, seed "
                                "or budgets differ): start every rank with the same files and flags");
    }
  }
  return core::Status::Ok();
}

namespace {

// Runs one collective, naming this rank and the likely cause when a peer is gone.
void Run(const Collective& self, const char* what, const std::function<c10::intrusive_ptr<c10d::Work>()>& start,
         int timeout_seconds) {
  try {
    start()->wait();
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(self.rank()) + " of " + std::to_string(self.world_size()) + ": " +
                             what + " failed (another rank stopped, or did not answer within " +
                             std::to_string(timeout_seconds) + " s): " + FirstLine(e));
  }
}

// Float tensors packed into flat buckets of at most `bucket_bytes`; `exchange` runs on each
// flat tensor, whose values are then copied back.
void Packed(const std::vector<torch::Tensor>& tensors, int64_t bucket_bytes,
            const std::function<void(torch::Tensor&)>& exchange) {
  std::vector<torch::Tensor> bucket;
  int64_t bytes = 0;
  auto flush = [&] {
    if (bucket.empty()) return;
    std::vector<torch::Tensor> flat_parts;
    for (const torch::Tensor& t : bucket) flat_parts.push_back(t.reshape({-1}));
    torch::Tensor flat = torch::cat(flat_parts);
    exchange(flat);
    int64_t offset = 0;
    for (const torch::Tensor& t : bucket) {
      t.copy_(flat.slice(0, offset, offset + t.numel()).view(t.sizes()));
      offset += t.numel();
    }
    bucket.clear();
    bytes = 0;
  };
  for (const torch::Tensor& t : tensors) {
    const int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
    if (t.scalar_type() != torch::kFloat32) {  // rare (statistics in double): on its own
      flush();
      torch::Tensor own = t.contiguous().reshape({-1}).clone();
      exchange(own);
      t.copy_(own.view(t.sizes()));
      continue;
    }
    if (!bucket.empty() && bytes + size > bucket_bytes) flush();
    bucket.push_back(t);
    bytes += size;
  }
  flush();
}

}  // namespace

void Collective::AllReduceSum(const std::vector<torch::Tensor>& tensors) {
  if (!distributed()) return;
  Packed(tensors, options_.bucket_bytes, [&](torch::Tensor& flat) {
    std::vector<at::Tensor> one{flat};
    Run(
        *this, "all-reduce", [&] { return group_->gloo->allreduce(one); }, options_.timeout_seconds);
    bytes_reduced_ += flat.numel() * static_cast<int64_t>(flat.element_size());
  });
}

void Collective::Broadcast(const std::vector<torch::Tensor>& tensors) {
  if (!distributed()) return;
  torch::NoGradGuard no_grad;
  Packed(tensors, options_.bucket_bytes, [&](torch::Tensor& flat) {
    std::vector<at::Tensor> one{flat};
    Run(
        *this, "broadcast", [&] { return group_->gloo->broadcast(one, c10d::BroadcastOptions{0}); },
        options_.timeout_seconds);
    bytes_reduced_ += flat.numel() * static_cast<int64_t>(flat.element_size());
  });
}

std::vector<double> Collective::AllGather(const std::vector<double>& values) {
  if (!distributed()) return values;
  const auto n = static_cast<int64_t>(values.size());
  torch::Tensor all = torch::zeros({n * world_size()}, torch::kFloat64);
  for (int64_t i = 0; i < n; ++i) all[rank() * n + i] = values[static_cast<size_t>(i)];
  std::vector<at::Tensor> one{all};
  Run(
      *this, "all-gather", [&] { return group_->gloo->allreduce(one); }, options_.timeout_seconds);
  const double* data = all.data_ptr<double>();
  return std::vector<double>(data, data + all.numel());
}

std::string Collective::BroadcastText(const std::string& text) {
  if (!distributed()) return text;
  const std::string key = "kilonas/text/" + std::to_string(texts_++);
  try {
    if (rank() == 0) {
      group_->store->set(key, std::vector<uint8_t>(text.begin(), text.end()));
      return text;
    }
    const std::vector<uint8_t> bytes = group_->store->get(key);  // waits for rank 0, up to the timeout
    return std::string(bytes.begin(), bytes.end());
  } catch (const std::exception& e) {
    throw std::runtime_error("rank " + std::to_string(rank()) + " of " + std::to_string(world_size()) +
                             ": waiting for rank 0's data failed (rank 0 stopped, or did not answer within " +
                             std::to_string(options_.timeout_seconds) + " s): " + FirstLine(e));
  }
}

void Collective::Barrier() {
  if (!distributed()) return;
  Run(
      *this, "barrier", [&] { return group_->gloo->barrier(); }, options_.timeout_seconds);
}

core::Status Guard(const std::function<core::Status()>& work) {
  try {
    return work();
  } catch (const std::exception& e) {
    return core::Status::Fail(FirstLine(e));
  }
}

namespace {

struct AllReduceSumFunction : public torch::autograd::Function<AllReduceSumFunction> {
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x, int64_t collective) {
    ctx->saved_data["collective"] = collective;
    torch::Tensor sum = x.detach().clone();
    reinterpret_cast<Collective*>(collective)->AllReduceSum({sum});
    return sum;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    auto* collective = reinterpret_cast<Collective*>(ctx->saved_data["collective"].toInt());
    torch::Tensor sum = grads[0].contiguous().clone();
    collective->AllReduceSum({sum});
    return {sum, torch::Tensor()};
  }
};

}  // namespace

torch::Tensor AllReduceSumAutograd(const torch::Tensor& x, Collective* collective) {
  if (collective == nullptr || !collective->distributed()) return x;
  return AllReduceSumFunction::apply(x, reinterpret_cast<int64_t>(collective));
}

}  // namespace kilonas::supernet
