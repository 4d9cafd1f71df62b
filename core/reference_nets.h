// Reference networks used to reproduce published tables: MobileNetV2 and ProxylessNAS-Mobile at
// any width multiplier and resolution, as NetSpecs (build them with BuildGraph).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/net_spec.h"

namespace kilonas::core {

// How a scaled channel count is rounded to a multiple of the divisor.
//  kNearest: TensorFlow's make_divisible (round to nearest, never drop below 90% of the value);
//            MobileNetV2 uses it.
//  kUp:      round up. MCUNet's scaled ProxylessNAS baseline (proxyless-w0.3) only matches its
//            published 38.3M MACs / 0.75M params with this rule (57.6 -> 64 channels, not 56).
enum class ChannelRounding { kNearest, kUp };

int MakeDivisible(double value, int divisor, ChannelRounding rounding);

// MobileNetV2 (t, c, n, s table of the paper). The head 1x1 conv is scaled with the width too
// (1280 x w), as in MCUNet's mbv2-w0.35 (448 head channels), unlike torchvision which keeps 1280.
NetSpec MobileNetV2(double width, int resolution, int num_classes = 1000);

// ProxylessNAS-Mobile (kernels 3/5/7, expand 3/6 per block), scaled like MCUNet's baseline.
NetSpec ProxylessMobile(double width, int resolution, int num_classes = 1000);

// Parses "mbv2-w0.35" or "proxyless-w0.3" (width after "-w").
Result<NetSpec> ReferenceNet(std::string_view name, int resolution, int num_classes = 1000);

// Names accepted by ReferenceNet, for help texts.
std::string ReferenceNetHelp();

}  // namespace kilonas::core
