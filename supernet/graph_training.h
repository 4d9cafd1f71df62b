// Training of one fixed network (a GraphModule): from scratch for a hand-designed baseline, or
// fine-tuning a subnet loaded from the supernet (MCUNet fine-tunes its searched model). Same recipe
// as the supernet trainer: seeded data order and augmentation, SGD with cosine annealing.
#pragma once

#include <vector>

#include "core/float_model.h"
#include "core/ofa_space.h"
#include "supernet/evaluate.h"
#include "supernet/graph_module.h"
#include "supernet/input.h"
#include "supernet/train_config.h"
#include "supernet/trainer.h"

namespace kilonas::supernet {

// Trains `module` in place for `epochs` on `train` at its Graph's input resolution, the learning
// rate annealed from `learning_rate` to 0; batch size, momentum, weight decay, augmentation,
// seed, threads and train_images per epoch come from `recipe`. One report per epoch.
std::vector<EpochReport> TrainGraphModule(GraphModule& module, const ImageSet& train, const TrainConfig& recipe,
                                          int epochs, double learning_rate);

// MCUNet's last step: the searched subnet, batch norm recalibrated on the supernet (`bn`) and
// extracted, then trained on its own as a fixed network (TrainGraphModule). Its float model.
core::Result<core::FloatModel> FineTuneSubnet(Supernet& net, const core::SubnetConfig& config, const ImageSet& train,
                                              const EvalOptions& bn, const TrainConfig& recipe, int epochs,
                                              double learning_rate);

}  // namespace kilonas::supernet
