// A bare PyTorch state_dict saved as json (spec formats/rtneural-json.md,
// dialect B). It names tensors but not the network: layer order, activations,
// and a convolution's dilation and groups are not in the file (RTNeural's own
// tests supply them in code). It is recognised only to be refused with a
// message that says why and what to export instead.
#pragma once

#include <string>

#include "json/json.h"

namespace pedal::formats {

// True for a flat object whose every key is a PyTorch parameter path
// ("lstm.weight_ih_l0", "dense.bias", "weight", ...).
bool is_torch_state_dict(const json::Value &root);

// Always throws FormatError explaining the refusal.
[[noreturn]] std::string refuse_torch_state_dict(const json::Value &root);

}  // namespace pedal::formats
