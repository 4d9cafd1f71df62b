// Data parallelism over torch.distributed's C++ layer (c10d): the ranks meet through a TCPStore
// served by rank 0 and exchange tensors through a Gloo process group (TCP, CPU tensors). One
// Collective per process; world size 1 means no process group and every call is a no-op.
// Collectives are called by every rank in the same order; a rank that dies or stops answering
// makes the others' next collective fail (connection reset at once, or after the timeout), which
// the trainer and the search turn into an error naming the rank and the cause, never a hang.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace kilonas::supernet {

struct DistributedOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  int timeout_seconds = 300;       // rendezvous and every collective
  int64_t bucket_bytes = 8 << 20;  // gradients are all-reduced in buckets of at most this size
};

// The options from flags, each unset one from torch.distributed's environment (RANK,
// WORLD_SIZE, MASTER_ADDR, MASTER_PORT), else the default. Errors name the flag or variable.
struct DistributedFlags {
  std::optional<int> rank, world_size, master_port, timeout_seconds;
  std::optional<std::string> master_addr;
};
// Ranks one rendezvous may wait for (a data-parallel supernet training on CPUs gains nothing
// from more; a mistyped WORLD_SIZE would otherwise keep rank 0 waiting for ranks that never come).
inline constexpr int kMaxWorldSize = 256;

core::Result<DistributedOptions> ResolveDistributed(const DistributedFlags& flags);

class Collective {
 public:
  // Rendezvous of all ranks (rank 0 serves the store): an error after the timeout, naming the
  // address and how many ranks arrived. World size 1 returns a Collective without a group.
  static core::Result<std::shared_ptr<Collective>> Connect(const DistributedOptions& options);
  ~Collective();

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  bool distributed() const { return options_.world_size > 1; }

  // The following throw std::runtime_error("rank R: ...") when a peer is gone; callers at the
  // top of a run turn that into a Status (see Guard).
  // Sums every tensor over the ranks, in place; float32 tensors are packed into flat buckets
  // of at most bucket_bytes, so there are few calls whatever the number of tensors.
  void AllReduceSum(const std::vector<torch::Tensor>& tensors);
  // Rank 0's values of `tensors` on every rank, in place (one packed call).
  void Broadcast(const std::vector<torch::Tensor>& tensors);
  // Every rank's `values` (the same length on all ranks), concatenated in rank order.
  std::vector<double> AllGather(const std::vector<double>& values);
  // Rank 0's `text` on every rank (through the rendezvous store; for files and decisions).
  std::string BroadcastText(const std::string& text);
  void Barrier();
  // Before any work: every rank's `identity` (what must agree: config, space, data set, seed;
  // see RunIdentity) compared through a digest. A rank started differently is one error on every
  // rank, naming it, instead of an abort inside Gloo or a quietly different result.
  core::Status CheckSameRun(const std::string& identity);

  // Bytes this rank handed to all-reduce / broadcast since the start (the benchmark's volume).
  int64_t bytes_reduced() const { return bytes_reduced_; }

  struct Group;  // c10d's store and process group (distributed.cc)

 private:
  explicit Collective(DistributedOptions options);
  DistributedOptions options_;
  std::unique_ptr<Group> group_;
  int64_t bytes_reduced_ = 0;
  int texts_ = 0;  // BroadcastText calls so far: each uses its own store key
};

// Runs `work`, turning an exception from a collective (a peer died or timed out) into an error.
core::Status Guard(const std::function<core::Status()>& work);

// The sum of `x` over the ranks, differentiable: its gradient is the sum of the ranks' gradients
// (what synchronized batch norm needs). `collective` may be null or of world size 1: identity.
torch::Tensor AllReduceSumAutograd(const torch::Tensor& x, Collective* collective);

}  // namespace kilonas::supernet
