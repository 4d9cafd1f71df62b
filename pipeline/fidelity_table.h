// nas_search --fidelity N: the fitness-fidelity measurement (pipeline/fidelity.h) on N random
// subnets of the chosen sub-space, printed as a table of Kendall tau per fitness setting.
#pragma once

#include "core/ofa_space.h"
#include "search/search_config.h"
#include "supernet/trainer.h"

namespace kilonas::pipeline {

core::Status PrintFidelity(supernet::Trainer& net, const core::OfaSpace& sub_space, const search::SearchConfig& config,
                           int subnets);

}  // namespace kilonas::pipeline
