// Random MobileNetV2-style networks for property tests (residuals, strides, kernels, expands).
#pragma once

#include <random>

#include "core/graph.h"
#include "core/net_spec.h"

namespace kilonas::testing {

core::NetSpec RandomNetSpec(std::mt19937& rng);
core::Graph RandomGraph(std::mt19937& rng);  // BuildGraph(RandomNetSpec(rng)), checked valid

}  // namespace kilonas::testing
