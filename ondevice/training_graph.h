// The training step a scheme asks for, derived from the Graph IR (MCUNetV3's compile-time
// backward graph, pruned): the int8 forward pass as deployed, then a backward pass only along the
// paths from the loss to a trainable parameter. What no trainable parameter needs is neither
// computed nor kept: an op before the first trainable layer has no backward step, a layer whose
// weights are frozen passes the gradient on without a weight gradient, and a layer whose input
// nothing upstream needs computes no input gradient.
#pragma once

#include <vector>

#include "ondevice/update_scheme.h"

namespace kilonas::ondevice {

struct OpTraining {
  bool output_grad = false;      // the gradient of the loss at the op's output is computed
  std::vector<bool> input_grad;  // per input: the op's backward step passes it on there
  int weight_channels = 0;       // output channels whose weight gradient is computed
  bool bias_grad = false;
  bool mask = false;  // its fused ReLU / ReLU6 gates the gradient: a bit per output value kept
  bool Backward() const { return output_grad; }
};

struct TrainingGraph {
  std::vector<OpTraining> ops;  // one per op of the graph
  // Forward tensors the backward pass reads whole: the input of every layer with a weight
  // gradient and of every max pool passing a gradient on (its kernel finds the window's largest
  // input: kernel registry, reads_input), and the loss's logits (the graph's output, or the softmax's input where the
  // graph ends with one: the loss is softmax cross-entropy either way).
  std::vector<bool> kept;
  // Outputs of masked ops of which only one bit per value is kept (whether the activation passed
  // it: MCUNetV3's binary masks), those not kept whole anyway.
  std::vector<bool> gated;
  int loss_tensor = -1;  // the logits

  int BackwardOps() const;
  // Bytes the backward pass keeps: kept tensors whole, gated ones at a bit per value.
  int64_t KeptBytes(const core::Graph& graph) const;
};

// The training step of `scheme` on `model`'s graph (the scheme checked against it first).
core::Result<TrainingGraph> DeriveTrainingGraph(const engine::Model& model, const UpdateScheme& scheme);

// Whether the backward step of an op of `kind` reads the op's forward input: a weight gradient
// does, and so does an input-gradient kernel that says so (the max pool's finds the window's
// largest input).
bool BackwardReadsInput(core::OpKind kind, const OpTraining& o);

// The bytes of a gate of `values` bits.
inline int64_t GateBytes(int64_t values) { return (values + 7) / 8; }

}  // namespace kilonas::ondevice
