// The data-parallel flags nas_train and nas_search share; each left unset falls back to
// torch.distributed's environment (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT), then to one
// process. scripts/launch_local.sh sets the environment for N ranks on this machine.
#pragma once

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <string>

#include "supernet/distributed.h"

namespace kilonas::apps {

inline void AddDistributedFlags(CLI::App& app, supernet::DistributedFlags& flags) {
  app.add_option("--world-size", flags.world_size, "processes (ranks) in the run (default: $WORLD_SIZE, else 1)")
      ->check(CLI::Range(1, supernet::kMaxWorldSize));
  app.add_option("--rank", flags.rank, "this process's rank, 0 to world size - 1 (default: $RANK, else 0)")
      ->check(CLI::Range(0, supernet::kMaxWorldSize - 1));
  app.add_option("--master-addr", flags.master_addr,
                 "address of rank 0, which serves the rendezvous (default: $MASTER_ADDR, else 127.0.0.1)");
  app.add_option("--master-port", flags.master_port,
                 "port of the rendezvous on rank 0 (default: $MASTER_PORT, else 29500)")
      ->check(CLI::Range(1, 65535));
  app.add_option("--dist-timeout", flags.timeout_seconds,
                 "seconds to wait for the other ranks at the rendezvous and in every exchange (default 300)")
      ->check(CLI::Range(1, 86400));
}

// Ranks other than 0 log warnings and errors only, prefixed with their rank.
inline void LogAsRank(const supernet::Collective& collective) {
  if (collective.rank() == 0) return;
  spdlog::set_pattern("[%H:%M:%S] rank " + std::to_string(collective.rank()) + ": %v");
  spdlog::set_level(spdlog::level::warn);
}

}  // namespace kilonas::apps
