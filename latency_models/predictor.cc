#include "latency_models/predictor.h"

#include <Eigen/Dense>

namespace kilonas::latency_models {
namespace {

std::array<double, 4> Features(const OpKey& key) {
  return {static_cast<double>(KeyMacs(key)), static_cast<double>(key.out.Elements()),
          static_cast<double>(key.in.Elements()), 1.0};
}

}  // namespace

LatencyPredictor::LatencyPredictor(LatencyLut lut) : lut_(std::move(lut)) {
  for (core::OpKind kind : core::kAllOpKinds) {
    std::vector<std::array<double, 4>> rows;
    std::vector<double> targets;
    for (const auto& [key, entry] : lut_.entries) {
      if (key.kind != kind) continue;
      rows.push_back(Features(key));
      targets.push_back(entry.cycles);
    }
    if (rows.empty()) continue;
    Eigen::MatrixXd a(rows.size(), 4);
    Eigen::VectorXd b(rows.size());
    for (size_t i = 0; i < rows.size(); ++i) {
      for (int j = 0; j < 4; ++j) a(static_cast<Eigen::Index>(i), j) = rows[i][j];
      b(static_cast<Eigen::Index>(i)) = targets[i];
    }
    // Column scaling keeps the normal equations well conditioned (MACs ~1e6, bias 1).
    Eigen::VectorXd scale = a.colwise().norm().transpose().cwiseMax(1e-12);
    const Eigen::VectorXd x = (a * scale.cwiseInverse().asDiagonal()).completeOrthogonalDecomposition().solve(b);
    for (int j = 0; j < 4; ++j) coefficients_[static_cast<size_t>(kind)][j] = x(j) / scale(j);
  }
}

double LatencyPredictor::Fallback(const OpKey& key) const {
  const std::array<double, 4> f = Features(key);
  const std::array<double, 4>& c = coefficients_[static_cast<size_t>(key.kind)];
  double cycles = 0;
  for (int j = 0; j < 4; ++j) cycles += c[j] * f[j];
  return std::max(cycles, 0.0);
}

double LatencyPredictor::Cycles(const OpKey& key, bool* miss) const {
  auto it = lut_.entries.find(key);
  *miss = it == lut_.entries.end();
  return *miss ? Fallback(key) : it->second.cycles;
}

LatencyPrediction LatencyPredictor::Predict(const core::Graph& graph) const {
  LatencyPrediction p;
  for (const core::Op& op : graph.ops()) {
    bool miss = false;
    p.cycles += Cycles(KeyOf(graph, op), &miss);
    p.misses += miss;
    ++p.ops;
  }
  p.ms = p.cycles / (lut_.provenance.clock_mhz * 1e3);
  return p;
}

}  // namespace kilonas::latency_models
