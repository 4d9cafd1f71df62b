// Every distinct op of a search space: the LUT must price each of them.
#pragma once

#include <vector>

#include "core/ofa_space.h"
#include "latency_models/op_key.h"

namespace kilonas::latency_models {

// An op's key depends on (width, resolution), the block's position in its stage (first or not)
// and the block's (kernel, expand), never on the depth of other stages: the union over subnets
// with one (kernel, expand) everywhere at maximum depth, for every width and resolution, is the
// whole set. Sorted; O(widths x resolutions x kernels x expands) graph builds.
std::vector<OpKey> SpaceOpKeys(const core::OfaSpace& space);

}  // namespace kilonas::latency_models
