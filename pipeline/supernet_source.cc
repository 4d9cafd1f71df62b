#include "pipeline/supernet_source.h"

#include <filesystem>

#include "core/file_io.h"
#include "core/logging.h"

namespace kilonas::pipeline {

std::string PerDataSet(const std::string& dir, const std::string& data) {
  std::string base = dir;
  while (base.size() > 1 && base.back() == '/') base.pop_back();
  return base + "-" + data::DataSetLabel(data);
}

std::string RunIdentity(const SupernetChoice& choice, const supernet::TrainConfig& config) {
  const core::Result<std::string> recipe = core::ReadTextFile(choice.config_path);
  std::string identity =
      (recipe.ok() ? recipe.value() : "") + "\ndata " + config.data + "\nspace " + config.space + "\n";
  std::error_code ec;
  if (std::filesystem::is_regular_file(config.space, ec)) {
    const core::Result<std::string> space = core::ReadTextFile(config.space);
    if (space.ok()) identity += space.value();
  }
  return identity;
}

core::Result<supernet::TrainConfig> TrainConfigFor(const SupernetChoice& choice) {
  core::Result<supernet::TrainConfig> config = supernet::LoadTrainConfig(choice.config_path);
  if (!config.ok()) return config;
  config.value().recipe_path = choice.config_path;
  if (!choice.checkpoint_dir.empty()) config.value().checkpoint_dir = choice.checkpoint_dir;
  if (!(choice.checkpoint_dir_chosen && !choice.checkpoint_dir.empty()) && !choice.data.empty() &&
      choice.data != config.value().data) {
    config.value().checkpoint_dir = PerDataSet(config.value().checkpoint_dir, choice.data);
  }
  if (!choice.data.empty()) config.value().data = choice.data;
  if (!choice.space.empty()) config.value().space = choice.space;
  if (choice.threads > 0) config.value().threads = choice.threads;
  if (!choice.device.empty()) {
    if (!supernet::IsDeviceName(choice.device)) {
      return core::Error{"--device '" + choice.device + "': must be cpu or cuda (or cuda:N)"};
    }
    config.value().device = choice.device;
  }
  return config;
}

core::Result<std::unique_ptr<supernet::Trainer>> ReadySupernet(const supernet::TrainConfig& config, core::DirLock* lock,
                                                               const std::string& tool,
                                                               std::shared_ptr<supernet::Collective> collective) {
  const bool have = std::filesystem::exists(config.checkpoint_dir + "/checkpoint.pt");
  if (have) {
    core::Logger()->info("supernet: checkpoint in {}", config.checkpoint_dir);
  } else {
    core::Logger()->info("supernet: no checkpoint in {}: training one with {} (space {}, data {})",
                         config.checkpoint_dir, config.recipe_path, config.space, config.data);
  }
  core::Result<std::unique_ptr<supernet::Trainer>> trainer =
      supernet::Trainer::Create(config, have, std::move(collective));
  if (!trainer.ok()) return trainer.error();
  if (!trainer.value()->Done() && lock != nullptr) {
    if (core::Status s = lock->Upgrade(tool); !s.ok()) return core::Error{"supernet: cannot train: " + s.message()};
  }
  if (core::Status s = trainer.value()->Run(); !s.ok()) return s.error();
  return trainer;
}

}  // namespace kilonas::pipeline
