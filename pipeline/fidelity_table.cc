#include "pipeline/fidelity_table.h"

#include <chrono>
#include <cstdio>
#include <random>

#include "pipeline/fidelity.h"

namespace kilonas::pipeline {

core::Status PrintFidelity(supernet::Trainer& net, const core::OfaSpace& sub_space, const search::SearchConfig& config,
                           int subnets) {
  const auto start = std::chrono::steady_clock::now();
  std::mt19937 rng(static_cast<uint32_t>(config.seed + 2));  // not the evolution's stream
  std::vector<core::SubnetConfig> sampled;
  for (int i = 0; i < subnets; ++i) sampled.push_back(core::SampleSubnet(sub_space, rng));
  const int all_validation = static_cast<int>(net.validation_set().size());
  const FitnessSetting search{config.validation_images, config.bn_batches, config.bn_batch_size};
  std::vector<FitnessSetting> settings = {search};
  for (const FitnessSetting& s :
       {FitnessSetting{search.validation_images, 2 * search.bn_batches, search.bn_batch_size},
        FitnessSetting{std::min(2 * search.validation_images, all_validation), search.bn_batches, search.bn_batch_size},
        FitnessSetting{std::min(5 * search.validation_images, all_validation), 2 * search.bn_batches,
                       search.bn_batch_size},
        FitnessSetting{all_validation, 4 * search.bn_batches, search.bn_batch_size}}) {
    settings.push_back(s);
  }
  const supernet::ImageSet& test = net.test_set();
  std::printf(
      "fitness fidelity: %d random subnets of the chosen sub-space, int8 engine accuracy on all %zu test images\n",
      subnets, test.size());
  std::fflush(stdout);
  core::Result<Fidelity> f = MeasureFidelity(net.supernet(), net.train_set(), net.validation_set(), test, sampled,
                                             settings, config.calibration_images, [&](int i) {
                                               if ((i + 1) % 5 == 0 || i + 1 == subnets)
                                                 std::printf("  measured %d/%d subnets\n", i + 1, subnets),
                                                     std::fflush(stdout);
                                             });
  if (!f.ok()) return core::Status::Fail(f.error().message);
  std::printf("  validation images  bn batches x size  Kendall tau vs int8 test  s per evaluation\n");
  for (size_t i = 0; i < f.value().rows.size(); ++i) {
    const FidelityRow& r = f.value().rows[i];
    std::printf("  %17d  %10d x %-5d  %24.3f  %16.2f%s\n", r.setting.validation_images, r.setting.bn_batches,
                r.setting.bn_batch_size, r.kendall_tau, r.seconds_per_evaluation, i == 0 ? "  <- search config" : "");
  }
  double lo = 1, hi = 0;
  for (double a : f.value().int8_test) lo = std::min(lo, a), hi = std::max(hi, a);
  std::printf(
      "int8 test accuracy of the subnets: %.2f%% .. %.2f%%; %.1f s per subnet (extract, quantize, %zu images); "
      "%.0f s in all\n",
      100 * lo, 100 * hi, f.value().int8_seconds_per_subnet, test.size(),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return core::Status::Ok();
}

}  // namespace kilonas::pipeline
