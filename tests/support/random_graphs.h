// Random MobileNetV2-style networks for property tests (residuals, strides, kernels, expands).
#pragma once

#include <random>
#include <vector>

#include "core/graph.h"
#include "core/net_spec.h"

namespace kilonas::testing {

core::NetSpec RandomNetSpec(std::mt19937& rng);
core::Graph RandomGraph(std::mt19937& rng);  // BuildGraph(RandomNetSpec(rng)), checked valid

// A fixed 20x20x3 network with average pools inside the patch stage and after it: stem -> pool
// 3x3 s2 -> pointwise -> depthwise -> pool 2x2 s2 (no padding) -> global pool -> classifier
// (-> softmax when asked).
core::Graph PoolNetwork(bool softmax = false);
// Pools padded as TensorFlow pads them (VALID or SAME), so that a .tflite holds them: 20x20x3 ->
// conv 3x3 -> 2x2 max pool stride 2 -> 1x1 -> 3x3 max pool stride 1 -> 2x2 average pool stride 2
// -> mean -> fully connected -> softmax.
core::Graph TflitePoolNetwork();
// A network padded as TensorFlow pads "SAME" (more after than before where the window and stride
// need an odd total): 3x3 stride-2 conv and depthwise with 0 before and 1 after, a symmetric
// depthwise, a 2x2 stride-2 average pool with 0 before and 1 after. Input 20x20x3 (as PoolNetwork).
core::Graph SamePaddedNetwork();
// A random 20x20x3 image in [-1, 1) for PoolNetwork and SamePaddedNetwork.
std::vector<float> RandomPoolImage(std::mt19937& rng);

}  // namespace kilonas::testing
