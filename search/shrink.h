// Shrinking a subnet until it fits a budget: the repair the search falls back to when random
// draws almost never fit (a budget near the space's smallest subnet, e.g. 64 kB of flash for a
// space whose random subnets need 100-300 kB). Rejection sampling stays the first choice: it keeps
// TinyNAS's statistics; a shrunk draw is biased toward the budget's boundary.
#pragma once

#include <optional>

#include "search/evolution.h"

namespace kilonas::search {

// `c` made smaller one random step at a time (a stage drops its last blocks to its next smaller depth; a block's kernel
// or expansion, the width or the resolution takes the next smaller choice of `choices`) until it meets every budget;
// nullopt when no step is left and it still does not. The steps are drawn from a generator seeded by the subnet itself,
// so candidates can be repaired in parallel without touching the search's RNG and the result does not depend on the
// thread count.
core::Result<std::optional<Candidate>> ShrinkToFit(const ResourceModel& model, const Budgets& budgets, Candidate c,
                                                   const core::OfaSpace& choices);

// Ok when the smallest subnet of `model`'s space meets every budget; otherwise the infeasible-budget
// error naming the constraint it violates most and what it needs.
core::Status SmallestFits(const ResourceModel& model, const Budgets& budgets);

}  // namespace kilonas::search
