// Every distinct kernel call a search space can make in an execution mode: the LUT must price
// each of them. Each optimized pointwise call comes twice, with int8 and with wide weights.
#pragma once

#include <vector>

#include "core/ofa_space.h"
#include "latency_models/op_key.h"

namespace kilonas::latency_models {

// Whole-tensor calls (per_layer, inplace, and everything after the patch stage): a call's key
// depends on (width, resolution), the block's position in its stage (first or not) and the
// block's (kernel, expand), never on the depth of other stages, so the union over subnets with
// one (kernel, expand) everywhere at maximum depth, for every width and resolution, is the whole
// set. O(widths x resolutions x kernels x expands) graph builds and plans.
//
// Patch-stage calls also depend on the kernels after them in the stage (their halos) and on the
// (p, n) the planner picks, too many combinations to enumerate: `patch_samples` seeded random
// subnets add theirs (on `fmnist` 5,000 samples find ~2,050 of the ~2,110 keys that 20,000
// find); the rare rest are priced by the predictor's fallback and counted as misses.
//
// Also the calls of the plain-CNN baseline family (core/plain_cnn.h) at every kPlainCnnWidths
// width and the space's resolutions, so that `nas_search --baseline cnn` is priced by the LUT.
std::vector<OpKey> SpaceCallKeys(const core::OfaSpace& space, memory_planner::PlanMode mode, int patch_samples = 5000,
                                 uint32_t seed = 1);

}  // namespace kilonas::latency_models
