#include "formats/torch_state_dict.h"

#include <cctype>
#include <string_view>

#include "formats/format_error.h"

namespace pedal::formats {

namespace {

// The last dotted component of a key, e.g. "weight_ih_l0" of "rec.weight_ih_l0".
std::string_view leaf(std::string_view key) {
    const std::size_t dot = key.rfind('.');
    return dot == std::string_view::npos ? key : key.substr(dot + 1);
}

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// weight, bias, running_mean, ..., or weight_ih_l<n>[_reverse] and its kin.
bool is_parameter_name(std::string_view name) {
    for (std::string_view plain : {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"})
        if (name == plain) return true;
    for (std::string_view recurrent : {"weight_ih_l", "weight_hh_l", "bias_ih_l", "bias_hh_l"}) {
        if (!starts_with(name, recurrent)) continue;
        std::string_view rest = name.substr(recurrent.size());
        std::size_t digits = 0;
        while (digits < rest.size() && std::isdigit(static_cast<unsigned char>(rest[digits]))) ++digits;
        rest = rest.substr(digits);
        return digits > 0 && (rest.empty() || rest == "_reverse");
    }
    return false;
}

}  // namespace

bool is_torch_state_dict(const json::Value &root) {
    if (!root.is_object() || root.size() == 0) return false;
    for (std::size_t i = 0; i < root.size(); ++i) {
        const json::Value &value = root.member(i);
        if (!(value.is_array() || value.is_number()) || !is_parameter_name(leaf(root.key(i)))) return false;
    }
    return true;
}

std::string refuse_torch_state_dict(const json::Value &root) {
    throw FormatError("a bare PyTorch state_dict (keys such as \"" + root.key(0) +
                      "\") names tensors but not the network: layer order, activations, and convolution dilation "
                      "and groups are not in the file, so it cannot be played safely; export it as RTNeural "
                      "Keras-style json (in_shape + layers) or as a CoreAudioML SimpleRNN (model_data + state_dict)");
}

}  // namespace pedal::formats
