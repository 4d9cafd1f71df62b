// Accuracy of one subnet of the supernet: batch-norm statistics recalibrated for that subnet on
// a few training batches (its shared statistics belong to no particular subnet), then top-1
// accuracy on an image set.
#pragma once

#include <functional>
#include <random>

#include "core/float_model.h"
#include "supernet/input.h"
#include "supernet/supernet.h"

namespace kilonas::supernet {

// Resets every batch norm's statistics and re-estimates them for the active subnet as the
// cumulative average over `batches` batches of `calibration` (fixed images: deterministic).
void RecalibrateBatchNorm(Supernet& net, const ImageSet& calibration, int batches, int batch_size);

struct EvalOptions {
  int bn_batches = 5;
  int bn_batch_size = 200;
  // Images per inference batch. Batches of 1000 at r32 made activations of ~100 MB, far beyond
  // the caches: 100-250 evaluated the largest subnet about 2x faster (bench/supernet_bench.cc).
  int batch_size = 200;
  int max_images = 0;  // 0: the whole set
};

// `config` as the supernet has it after batch-norm recalibration on `calibration` (options'
// bn_batches x bn_batch_size), extracted as a float model: what evaluation, quantization and
// fine-tuning all start from. Leaves the supernet in eval mode with `config` active.
core::Result<core::FloatModel> RecalibratedSubnet(Supernet& net, const core::SubnetConfig& config,
                                                  const ImageSet& calibration, const EvalOptions& options);

// Top-1 accuracy in [0, 1] of a forward function on the first options.max_images of `eval`
// (0: all), resized to `resolution`, in batches of options.batch_size.
double TopOneAccuracy(const std::function<torch::Tensor(const torch::Tensor&)>& forward, const ImageSet& eval,
                      int resolution, const EvalOptions& options);

// Top-1 accuracy in [0, 1] of a float network (extracted, fine-tuned or trained from scratch),
// frozen (supernet/static_subnet.h) and run at `resolution` on the first options.max_images of
// `eval`.
double FloatModelAccuracy(const core::FloatModel& model, const ImageSet& eval, int resolution,
                          const EvalOptions& options);

// Top-1 accuracy in [0, 1] of `config` on `eval`: batch norm recalibrated, then the subnet frozen
// (supernet/static_subnet.h) and run. Leaves the supernet in eval mode with `config` active.
double EvaluateSubnet(Supernet& net, const core::SubnetConfig& config, const ImageSet& calibration,
                      const ImageSet& eval, const EvalOptions& options = {});

}  // namespace kilonas::supernet
