#include "ondevice/backward_kernels.h"

#include <vector>

namespace kilonas::ondevice {

void CallBackward(core::TrainKernelId kernel, const kilonas_grad_params& p, const int8_t* x, const float* dy,
                  float* out) {
  using Function = void (*)(const kilonas_grad_params*, const int8_t*, const float*, float*);
  static const std::vector<Function> kFunctions = {
#define KILONAS_TRAIN_KERNEL(id, function, ...) &function,
#include "kilonas_train_kernels.inc"
#undef KILONAS_TRAIN_KERNEL
  };
  kFunctions.at(static_cast<size_t>(kernel) - 1)(&p, x, dy, out);
}

}  // namespace kilonas::ondevice
