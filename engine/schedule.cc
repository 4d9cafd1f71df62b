#include "engine/schedule.h"

#include <cstring>

#include "core/kernel_registry.h"

namespace kilonas::engine {
namespace {

kilonas_view WholeView(const core::Shape& s) { return {s.h, s.w, s.c, 0, 0}; }

kilonas_view RegionView(const core::Region& r, int channels) {
  return {r.rows.size(), r.cols.size(), channels, r.rows.begin, r.cols.begin};
}

class Scheduler {
 public:
  Scheduler(const Model& model, const memory_planner::MemoryPlan& plan, KernelSet kernels)
      : graph_(model.graph), plan_(plan), kernels_(kernels) {}

  core::Result<Schedule> Build() {
    Schedule s;
    s.arena_bytes = plan_.arena_bytes;
    s.input_offset = Offset(graph_.input());
    s.output_offset = Offset(graph_.output());
    s.input_bytes = graph_.tensor(graph_.input()).Bytes();
    s.output_bytes = graph_.tensor(graph_.output()).Bytes();
    const int num_ops = static_cast<int>(graph_.ops().size());
    int first_whole_op = 0;
    if (plan_.patch) {
      const memory_planner::PatchPlan& patch = *plan_.patch;
      for (const std::vector<core::Region>& regions : patch.regions) {
        for (int i = 0; i < patch.split_op; ++i) Add(s, i, &regions);
      }
      first_whole_op = patch.split_op;
    }
    for (int i = first_whole_op; i < num_ops; ++i) Add(s, i, nullptr);
    for (const Step& step : s.steps) {
      if (step.out < 0 || step.in2 < kExternalInput) return core::Error{"schedule: tensor without a buffer"};
    }
    return s;
  }

 private:
  int64_t Offset(int tensor) const {
    const int buffer = plan_.tensor_buffer.at(tensor);
    return buffer < 0 ? kExternalInput : plan_.buffers.at(buffer).offset;
  }

  // Tensors inside the patch stage are stored as their patch region; the network input and the
  // stage output are whole.
  kilonas_view View(int tensor, const std::vector<core::Region>* regions) const {
    const core::Tensor& t = graph_.tensor(tensor);
    const bool whole = !regions || tensor == graph_.input() || tensor == plan_.patch->stage_output;
    return whole ? WholeView(t.shape) : RegionView((*regions)[tensor], t.shape.c);
  }

  void Add(Schedule& s, int index, const std::vector<core::Region>* regions) {
    const core::Op& op = graph_.op(index);
    Step step;
    step.op = index;
    step.kernel = SelectKernel(graph_, plan_, index, kernels_);
    if (step.kernel == Kernel::kNone) return;
    step.in = Offset(op.inputs[0]);
    step.in_view = View(op.inputs[0], regions);
    step.out = Offset(op.output);
    step.out_view = View(op.output, regions);
    if (op.inputs.size() > 1) {
      step.in2 = Offset(op.inputs[1]);
      step.in2_view = View(op.inputs[1], regions);
    }
    const core::Shape& out = graph_.tensor(op.output).shape;
    step.rect = regions ? kilonas_rect{(*regions)[op.output].rows.begin, (*regions)[op.output].cols.begin,
                                       (*regions)[op.output].rows.size(), (*regions)[op.output].cols.size()}
                        : kilonas_rect{0, 0, out.h, out.w};
    if (FusesAdd(step.kernel)) {
      // The projection writes x + y over the residual x: its output buffer is x's.
      const int residual = plan_.op_writes_over.at(index);
      step.out = Offset(residual);
      step.out_view = View(residual, regions);
    }
    const int scratch = plan_.op_scratch.at(index);
    if (scratch >= 0) step.scratch = plan_.buffers.at(scratch).offset;
    s.steps.push_back(step);
  }

  const core::Graph& graph_;
  const memory_planner::MemoryPlan& plan_;
  KernelSet kernels_;
};

}  // namespace

core::Result<Schedule> BuildSchedule(const Model& model, const memory_planner::MemoryPlan& plan, KernelSet kernels) {
  return Scheduler(model, plan, kernels).Build();
}

kilonas_conv_params ConvParams(const Model& model, int index, const int32_t* channels) {
  const core::Op& op = model.graph.op(index);
  const OpConstants& c = model.constants.at(index);
  const core::Tensor& in = model.graph.InputOf(op);
  kilonas_conv_params p{};
  p.weights = c.weights.data();
  p.bias = c.bias.data();
  p.multiplier = c.multiplier.data();
  p.shift = c.shift.data();
  p.channels = channels;
  // The in-place depthwise kernel keeps a layer with left-shifted channels fast (those channels take its
  // general loop) when they have headroom.
  const int32_t max_shift = op.kind == core::OpKind::kDepthwiseConv2d ? LeftShiftHeadroom(op, c) : -1;
  p.fast_requant =
      kilonas_fast_requant(c.shift.data(), static_cast<int32_t>(c.shift.size()), c.act_min, c.act_max, max_shift);
  p.input_offset = -TensorZeroPoint(in);
  p.output_offset = TensorZeroPoint(model.graph.OutputOf(op));
  p.act_min = c.act_min;
  p.act_max = c.act_max;
  p.kernel = op.kernel;
  p.stride = op.stride;
  p.pad = op.padding;
  p.kernel_w = op.KernelW();
  p.pad_w = op.PaddingW();
  p.pad_end = op.PaddingEnd();
  p.in_h = in.shape.h;
  p.in_w = in.shape.w;
  return p;
}

KernelConstants ConstantsFor(const Model& model, int index, Kernel kernel) {
  const core::Op& op = model.graph.op(index);
  const OpConstants& c = model.constants.at(index);
  KernelConstants k;
  const int32_t channels = static_cast<int32_t>(c.bias.size());
  k.weights = c.weights;
  k.weights.resize(
      static_cast<size_t>(core::StoredWeightBytes(kernel, static_cast<int64_t>(c.weights.size()), channels)), 0);
  if (!UsesChannelWords(kernel) || channels == 0) return k;
  const int32_t per_channel = static_cast<int32_t>(c.weights.size()) / channels;
  k.channels.resize(static_cast<size_t>(channels) * KILONAS_CHANNEL_WORDS);
  kilonas_channel_words(c.weights.data(), c.bias.data(), c.multiplier.data(), c.shift.data(), channels, per_channel,
                        op.kind == core::OpKind::kDepthwiseConv2d, -TensorZeroPoint(model.graph.InputOf(op)),
                        k.channels.data());
  const core::KernelConstants layout = core::KernelInfo(kernel).constants;
  if (layout == core::KernelConstants::kFullyConnectedDsp) {
    kilonas_fully_connected_dsp_constants(k.weights.data(), channels, per_channel, k.channels.data());
  }
  if (layout == core::KernelConstants::kWide) {
    std::vector<int16_t> wide(static_cast<size_t>(channels) * ((per_channel + 3) / 4) * 4);
    std::vector<int32_t> records(static_cast<size_t>(channels) * KILONAS_WIDE_RECORD);
    const kilonas_conv_params p = ConvParams(model, index);
    kilonas_pointwise_wide_constants(c.weights.data(), channels, per_channel, k.channels.data(), p.output_offset,
                                     p.fast_requant, wide.data(), records.data());
    k.weights.resize(wide.size() * 2);
    std::memcpy(k.weights.data(), wide.data(), k.weights.size());  // little-endian int16, as on the device
    k.channels = std::move(records);
  }
  return k;
}

kilonas_add_params AddParams(const Model& model, int add_index, int first_input) {
  const core::Op& op = model.graph.op(add_index);
  const OpConstants& c = model.constants.at(add_index);
  const bool swap = op.inputs[0] != first_input;
  kilonas_add_params p{};
  const int a = swap ? op.inputs[1] : op.inputs[0], b = swap ? op.inputs[0] : op.inputs[1];
  p.input1_offset = -TensorZeroPoint(model.graph.tensor(a));
  p.input2_offset = -TensorZeroPoint(model.graph.tensor(b));
  p.output_offset = TensorZeroPoint(model.graph.OutputOf(op));
  p.input1_multiplier = swap ? c.input2_multiplier : c.input1_multiplier;
  p.input1_shift = swap ? c.input2_shift : c.input1_shift;
  p.input2_multiplier = swap ? c.input1_multiplier : c.input2_multiplier;
  p.input2_shift = swap ? c.input1_shift : c.input2_shift;
  p.output_multiplier = c.output_multiplier;
  p.output_shift = c.output_shift;
  p.left_shift = c.left_shift;
  p.act_min = c.act_min;
  p.act_max = c.act_max;
  return p;
}

kilonas_add_params FusedAddParams(const Model& model, int index) {
  const core::Op& add = model.graph.op(index + 1);
  const int projection = model.graph.op(index).output;
  return AddParams(model, index + 1, add.inputs[0] == projection ? add.inputs[1] : add.inputs[0]);
}

kilonas_pool_params PoolParams(const Model& model, int index) {
  const core::Op& op = model.graph.op(index);
  const OpConstants& c = model.constants.at(index);
  return {-TensorZeroPoint(model.graph.InputOf(op)), TensorZeroPoint(model.graph.OutputOf(op)), c.output_multiplier,
          c.output_shift};
}

}  // namespace kilonas::engine
