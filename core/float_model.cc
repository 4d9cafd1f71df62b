#include "core/float_model.h"

#include <algorithm>
#include <cmath>

namespace kilonas::core {
namespace {

float Activate(float v, Activation act) {
  switch (act) {
    case Activation::kNone:
      return v;
    case Activation::kRelu:
      return std::max(v, 0.0f);
    case Activation::kRelu6:
      return std::clamp(v, 0.0f, 6.0f);
  }
  return v;
}

// Softmax over each run of `depth` values (a pixel's channels), the maximum subtracted first.
void SoftmaxRows(const std::vector<float>& in, int depth, std::vector<float>& out) {
  for (size_t row = 0; row + depth <= in.size(); row += depth) {
    const float max = *std::max_element(in.begin() + row, in.begin() + row + depth);
    double sum = 0;
    for (int c = 0; c < depth; ++c) sum += std::exp(static_cast<double>(in[row + c] - max));
    for (int c = 0; c < depth; ++c)
      out[row + c] = static_cast<float>(std::exp(static_cast<double>(in[row + c] - max)) / sum);
  }
}

// Channel c at (y, x) of an average pool: the mean over the window's pixels inside the input
// (padding is not counted, as in TFLite).
// The mean (or, with `max`, the largest) of channel c over the window of output (y, x), padding
// not counted.
float WindowPool(const Graph& g, const Op& op, const std::vector<float>& in, int y, int x, int c, bool max) {
  const Shape& is = g.InputOf(op).shape;
  double sum = 0, largest = -HUGE_VAL;
  int count = 0;
  for (int iy = std::max(y * op.stride - op.padding, 0); iy < std::min(y * op.stride - op.padding + op.kernel, is.h);
       ++iy) {
    for (int ix = std::max(x * op.stride - op.padding, 0); ix < std::min(x * op.stride - op.padding + op.kernel, is.w);
         ++ix) {
      const double v = in[(static_cast<size_t>(iy) * is.w + ix) * is.c + c];
      sum += v;
      largest = std::max(largest, v);
      ++count;
    }
  }
  if (count == 0) return 0.0f;
  return static_cast<float>(max ? largest : sum / count);
}

// Output channel oc at (y, x) of a windowed op (conv, pointwise, depthwise).
float WindowValue(const Graph& g, const Op& op, const FloatOpWeights& w, const std::vector<float>& in, int y, int x,
                  int oc) {
  const Shape& is = g.InputOf(op).shape;
  const bool depthwise = op.kind == OpKind::kDepthwiseConv2d;
  const int kh = op.kernel, kw = op.KernelW();
  double acc = w.bias.empty() ? 0.0 : w.bias[oc];
  for (int ky = 0; ky < kh; ++ky) {
    const int iy = y * op.stride - op.padding + ky;
    if (iy < 0 || iy >= is.h) continue;
    for (int kx = 0; kx < kw; ++kx) {
      const int ix = x * op.stride - op.PaddingW() + kx;
      if (ix < 0 || ix >= is.w) continue;
      const float* px = &in[(static_cast<size_t>(iy) * is.w + ix) * is.c];
      if (depthwise) {
        acc += static_cast<double>(px[oc]) * w.weights[(ky * kw + kx) * is.c + oc];
      } else {
        const float* wp = &w.weights[((static_cast<size_t>(oc) * kh + ky) * kw + kx) * is.c];
        for (int ic = 0; ic < is.c; ++ic) acc += static_cast<double>(px[ic]) * wp[ic];
      }
    }
  }
  return static_cast<float>(acc);
}

}  // namespace

Status ValidateFloatModel(const FloatModel& model) {
  if (Status s = model.graph.Validate(); !s.ok()) return s;
  if (model.ops.size() != model.graph.ops().size()) return Status::Fail("float model: one entry per op expected");
  for (size_t i = 0; i < model.ops.size(); ++i) {
    const Op& op = model.graph.op(static_cast<int>(i));
    const FloatOpWeights& w = model.ops[i];
    const auto channels = static_cast<size_t>(model.graph.BiasCount(op));
    auto sized = [&](const std::vector<float>& v) { return v.empty() || v.size() == channels; };
    if (w.weights.size() != static_cast<size_t>(model.graph.WeightCount(op)) || !sized(w.bias) || !sized(w.bn_gamma) ||
        !sized(w.bn_beta) || !sized(w.bn_mean) || !sized(w.bn_var)) {
      return Status::Fail("float model: op '" + op.name + "' arrays do not match its shapes");
    }
  }
  return Status::Ok();
}

FloatOpWeights FoldBatchNorm(const Graph& graph, const Op& op, const FloatOpWeights& w) {
  FloatOpWeights folded;
  folded.weights = w.weights;
  const int channels = static_cast<int>(graph.BiasCount(op));
  folded.bias = w.bias.empty() ? std::vector<float>(channels, 0.0f) : w.bias;
  if (w.bn_gamma.empty()) return folded;
  const size_t per_channel = channels > 0 ? folded.weights.size() / channels : 0;
  const bool depthwise = op.kind == OpKind::kDepthwiseConv2d;
  for (int c = 0; c < channels; ++c) {
    const float factor = w.bn_gamma[c] / std::sqrt(w.bn_var[c] + w.bn_eps);
    for (size_t j = 0; j < per_channel; ++j) {
      // Depthwise weights are [k][k][C]: channel c is every C-th value.
      folded.weights[depthwise ? j * channels + c : c * per_channel + j] *= factor;
    }
    folded.bias[c] = (folded.bias[c] - w.bn_mean[c]) * factor + w.bn_beta[c];
  }
  return folded;
}

std::vector<std::vector<float>> RunFloat(const FloatModel& model, const std::vector<float>& input) {
  const Graph& g = model.graph;
  std::vector<std::vector<float>> values(g.tensors().size());
  values[g.input()] = input;
  for (size_t i = 0; i < g.ops().size(); ++i) {
    const Op& op = g.op(static_cast<int>(i));
    const Shape& os = g.OutputOf(op).shape;
    const std::vector<float>& in = values[op.inputs[0]];
    std::vector<float>& out = values[op.output];
    out.assign(os.Elements(), 0.0f);
    const FloatOpWeights w = FoldBatchNorm(g, op, model.ops[i]);
    switch (op.kind) {
      case OpKind::kConv2d:
      case OpKind::kPointwiseConv2d:
      case OpKind::kDepthwiseConv2d:
        for (int y = 0; y < os.h; ++y) {
          for (int x = 0; x < os.w; ++x) {
            for (int oc = 0; oc < os.c; ++oc) {
              out[(static_cast<size_t>(y) * os.w + x) * os.c + oc] =
                  Activate(WindowValue(g, op, w, in, y, x, oc), op.activation);
            }
          }
        }
        break;
      case OpKind::kAdd:
        for (size_t j = 0; j < out.size(); ++j) out[j] = Activate(in[j] + values[op.inputs[1]][j], op.activation);
        break;
      case OpKind::kGlobalAvgPool: {
        const int64_t pixels = in.size() / os.c;
        for (int64_t p = 0; p < pixels; ++p) {
          for (int c = 0; c < os.c; ++c) out[c] += in[p * os.c + c];
        }
        for (float& v : out) v /= static_cast<float>(pixels);
        break;
      }
      case OpKind::kAvgPool2d:
      case OpKind::kMaxPool2d:
        for (int y = 0; y < os.h; ++y) {
          for (int x = 0; x < os.w; ++x) {
            for (int oc = 0; oc < os.c; ++oc) {
              out[(static_cast<size_t>(y) * os.w + x) * os.c + oc] =
                  Activate(WindowPool(g, op, in, y, x, oc, op.kind == OpKind::kMaxPool2d), op.activation);
            }
          }
        }
        break;
      case OpKind::kSoftmax:
        SoftmaxRows(in, os.c, out);
        break;
      case OpKind::kFullyConnected:
        for (int o = 0; o < os.c; ++o) {
          double acc = w.bias[o];
          for (size_t j = 0; j < in.size(); ++j) acc += static_cast<double>(in[j]) * w.weights[o * in.size() + j];
          out[o] = Activate(static_cast<float>(acc), op.activation);
        }
        break;
    }
  }
  return values;
}

FloatModel RandomFloatModel(const Graph& graph, std::mt19937& rng) {
  FloatModel model{graph, {}};
  std::uniform_real_distribution<float> unit(-1.0f, 1.0f), positive(0.5f, 1.5f);
  for (const Op& op : graph.ops()) {
    FloatOpWeights w;
    const int64_t count = graph.WeightCount(op);
    const int64_t channels = graph.BiasCount(op);
    if (count > 0) {
      // Weights per output channel = fan-in for every kind (k*k*Cin, k*k, Cin, in).
      const double fan_in = static_cast<double>(count) / static_cast<double>(channels);
      const float bound = static_cast<float>(std::sqrt(6.0 / fan_in));
      for (int64_t j = 0; j < count; ++j) w.weights.push_back(unit(rng) * bound);
      for (int64_t c = 0; c < channels; ++c) {
        w.bias.push_back(0.1f * unit(rng));
        w.bn_gamma.push_back(positive(rng));
        w.bn_beta.push_back(0.2f * unit(rng));
        w.bn_mean.push_back(0.1f * unit(rng));
        w.bn_var.push_back(positive(rng));
      }
    }
    model.ops.push_back(std::move(w));
  }
  return model;
}

}  // namespace kilonas::core
