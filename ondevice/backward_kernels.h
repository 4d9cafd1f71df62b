// The C function of every backward kernel (runtime/kilonas_train_kernels.inc; the registry in
// core/kernel_registry.h holds which op kind and part each computes): the host trainer's one
// dispatch, the way engine/kernel_table.h is the forward pass's.
#pragma once

#include "core/kernel_registry.h"
#include "kilonas_train.h"

namespace kilonas::ondevice {

// Adds `kernel`'s part of an op's backward step to `out`: the gradient at its input, or its
// weights' gradient, from dy (the gradient at its output) and x (its forward input).
void CallBackward(core::TrainKernelId kernel, const kilonas_grad_params& p, const int8_t* x, const float* dy,
                  float* out);

}  // namespace kilonas::ondevice
