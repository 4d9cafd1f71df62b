// Measures the code figures of the flash estimate (memory_planner::CodeSize) for one core by
// cross-compiling firmware, the way the firmware is built:
//  kernel_bytes   the stub firmware keeping one runtime kernel minus the stub firmware alone,
//                 for every kernel variant of the kernel table;
//  params bytes   the generated parameter structs' symbol sizes (arm-none-eabi-nm);
//  call_bytes,    a least-squares slope of the remaining graph code over the number of kernel
//  model_base     calls of `samples` random subnets of `space` in every execution mode, with the
//                 intercept raised until the estimate bounds every one of them from above.
// Minutes: two firmware builds per sample and mode.
#pragma once

#include <string>

#include "core/hw_profile.h"
#include "core/ofa_space.h"
#include "memory_planner/flash.h"

namespace kilonas::engine {

core::Result<memory_planner::CodeSize> MeasureCodeSize(const core::HwProfile& hw, const core::OfaSpace& space,
                                                       int samples, const std::string& source_root,
                                                       const std::string& work_dir);

}  // namespace kilonas::engine
