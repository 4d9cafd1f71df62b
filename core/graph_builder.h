// Appends ops to a Graph with "same" padding: the one builder of the network families (NetSpec,
// plain CNNs). Internal to core/.
#pragma once

#include <string>
#include <utility>

#include "core/graph.h"

namespace kilonas::core {

class GraphBuilder {
 public:
  explicit GraphBuilder(Shape input) {
    current_ = graph_.AddTensor({"input", input});
    graph_.SetInput(current_);
  }

  // Appends a window op reading `from` and returns its output tensor.
  int Window(OpKind kind, const std::string& name, int from, int channels, int kernel, int stride, Activation act,
             int block) {
    const Shape& in = graph_.tensor(from).shape;
    const int pad = kernel / 2;
    Shape out{WindowOutputSize(in.h, kernel, stride, pad), WindowOutputSize(in.w, kernel, stride, pad), channels};
    return Append({kind, name, {from}, -1, kernel, stride, pad, act, block}, out);
  }

  int Append(Op op, Shape out) {
    op.output = graph_.AddTensor({op.name, out});
    graph_.AddOp(std::move(op));
    return graph_.ops().back().output;
  }

  Graph Finish(int output) {
    graph_.SetOutput(output);
    return std::move(graph_);
  }

  const Graph& graph() const { return graph_; }

 private:
  Graph graph_;
  int current_ = -1;
};

}  // namespace kilonas::core
