#include "supernet/engine_layout.h"

namespace kilonas::supernet {

torch::Tensor FromVector(const std::vector<float>& v, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(v.data()), shape, torch::kFloat32).clone();
}

std::vector<float> ToVector(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().to(torch::kFloat32).contiguous();
  return std::vector<float>(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
}

torch::Tensor ConvFromEngine(const std::vector<float>& w, const core::Op& op, int in, int out) {
  if (op.kind == core::OpKind::kDepthwiseConv2d) {
    return FromVector(w, {op.kernel, op.kernel, out}).permute({2, 0, 1}).unsqueeze(1);
  }
  return FromVector(w, {out, op.kernel, op.kernel, in}).permute({0, 3, 1, 2});
}

std::vector<float> ConvToEngine(const torch::Tensor& w, const core::Op& op) {
  if (op.kind == core::OpKind::kDepthwiseConv2d) return ToVector(w.squeeze(1).permute({1, 2, 0}));
  return ToVector(w.permute({0, 2, 3, 1}));
}

}  // namespace kilonas::supernet
