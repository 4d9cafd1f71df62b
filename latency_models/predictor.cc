#include "latency_models/predictor.h"

#include <Eigen/Dense>

namespace kilonas::latency_models {
namespace {

// Per MAC, per output and input element (requantization, copies), per output pixel (a pointwise
// block's widening), per output row and channel (a depthwise row's call), per channel (tap
// packing, a channel copy's set-up), per call.
Features FeaturesOf(const OpKey& key) {
  const double pixels = static_cast<double>(key.out.h) * key.out.w;
  return {static_cast<double>(KeyMacs(key)),
          static_cast<double>(key.out.Elements()),
          static_cast<double>(key.in.Elements()),
          pixels,
          static_cast<double>(key.out.h) * key.out.c,
          static_cast<double>(key.out.c),
          1.0};
}

// The fallback groups of a key, most specific first: (kind, kernel, stride, kernel set, writes
// over, wide), then (kind, kernel set, writes over, wide), then the kind alone. A miss is priced by the most
// specific group that has at least 8 LUT entries.
std::array<std::string, 3> Groups(const OpKey& key) {
  const std::string kind(core::Traits(key.kind).name);
  const std::string variant =
      std::to_string(static_cast<int>(key.kernels)) + (key.writes_over ? "w" : "-") + (key.wide ? "q" : "");
  return {kind + " k" + std::to_string(key.kernel) + " s" + std::to_string(key.stride) + " " + variant,
          kind + " " + variant, kind};
}

constexpr size_t kMinGroupEntries = 8;

}  // namespace

LatencyPredictor::LatencyPredictor(LatencyLut lut) : lut_(std::move(lut)) {
  std::unordered_map<std::string, std::vector<std::pair<Features, double>>> rows;
  for (const auto& [key, entry] : lut_.entries) {
    for (const std::string& group : Groups(key)) rows[group].emplace_back(FeaturesOf(key), entry.cycles);
  }
  for (const auto& [group, samples] : rows) {
    if (samples.size() < kMinGroupEntries && group.find(' ') != std::string::npos) continue;
    Eigen::MatrixXd a(samples.size(), kFeatures);
    Eigen::VectorXd b(samples.size());
    for (size_t i = 0; i < samples.size(); ++i) {
      for (int j = 0; j < kFeatures; ++j) a(static_cast<Eigen::Index>(i), j) = samples[i].first[j];
      b(static_cast<Eigen::Index>(i)) = samples[i].second;
    }
    // Column scaling keeps the normal equations well conditioned (MACs ~1e6, bias 1).
    Eigen::VectorXd scale = a.colwise().norm().transpose().cwiseMax(1e-12);
    const Eigen::VectorXd x = (a * scale.cwiseInverse().asDiagonal()).completeOrthogonalDecomposition().solve(b);
    Features& c = coefficients_[group];
    for (int j = 0; j < kFeatures; ++j) c[j] = x(j) / scale(j);
  }
}

double LatencyPredictor::Fallback(const OpKey& key) const {
  const Features f = FeaturesOf(key);
  for (const std::string& group : Groups(key)) {
    auto it = coefficients_.find(group);
    if (it == coefficients_.end()) continue;
    double cycles = 0;
    for (int j = 0; j < kFeatures; ++j) cycles += it->second[j] * f[j];
    return std::max(cycles, 0.0);
  }
  return 0.0;  // no entry of this op kind at all: ValidateLut rejects such LUTs for a space
}

double LatencyPredictor::Cycles(const OpKey& key, bool* miss) const {
  auto it = lut_.entries.find(key);
  *miss = it == lut_.entries.end();
  return *miss ? Fallback(key) : it->second.cycles;
}

LatencyPrediction LatencyPredictor::Predict(const core::Graph& graph, const memory_planner::MemoryPlan& plan) const {
  LatencyPrediction p;
  for (const OpKey& key : ExecutedCalls(graph, plan)) {
    bool miss = false;
    p.cycles += Cycles(key, &miss);
    p.misses += miss;
    ++p.calls;
  }
  p.ms = p.cycles / (lut_.provenance.clock_mhz * 1e3);
  return p;
}

}  // namespace kilonas::latency_models
