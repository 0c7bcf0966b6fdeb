// Small .nam documents written inline, so the NAM self-tests need no files:
// a config, a weight list, and the usual top-level keys around them.
#pragma once

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

namespace pedal::test {

inline std::string nam_document(const std::string &architecture, const std::string &config,
                                const std::vector<double> &weights, const std::string &extra = "") {
    std::string text = R"({"version": "0.5.4", "architecture": ")" + architecture + R"(", "config": )" + config +
                       R"(, "weights": [)";
    for (std::size_t i = 0; i < weights.size(); ++i) {
        char number[40];
        std::snprintf(number, sizeof number, "%s%.17g", i ? ", " : "", weights[i]);
        text += number;
    }
    return text + "]" + (extra.empty() ? "" : ", " + extra) + "}";
}

// Deterministic weights of a plausible size (|w| <= 0.5), the last one `last`.
inline std::vector<double> wavy_weights(std::size_t count, double last) {
    std::vector<double> weights(count);
    for (std::size_t i = 0; i < count; ++i) weights[i] = 0.5 * std::sin(1.7 * static_cast<double>(i) + 0.3);
    if (count) weights.back() = last;
    return weights;
}

// Two chained arrays: gated Tanh, kernel 3, dilations 1,2 (3 channels, head 2),
// then LeakyReLU, dilation 4 (2 channels, head 1 with bias): 197 weights.
inline std::string small_nam_wavenet() {
    const std::string config = R"({"layers": [
        {"input_size": 1, "condition_size": 1, "channels": 3, "head_size": 2, "kernel_size": 3,
         "dilations": [1, 2], "activation": "Tanh", "gated": true, "head_bias": false},
        {"input_size": 3, "condition_size": 1, "channels": 2, "head_size": 1, "kernel_size": 3,
         "dilations": [4], "activation": {"type": "LeakyReLU", "negative_slope": 0.2}, "gated": false,
         "head_bias": true}], "head": null, "head_scale": 0.3})";
    return nam_document("WaveNet", config, wavy_weights(197, 0.3), R"("sample_rate": 48000)");
}

// Two LSTM layers of 3 units: 66 + 90 + 4 = 160 weights.
inline std::string small_nam_lstm() {
    return nam_document("LSTM", R"({"input_size": 1, "hidden_size": 3, "num_layers": 2})", wavy_weights(160, 0.1));
}

// Most of what a 0.7 ("A2") WaveNet can say in one small network: a
// condition_dsp making a 2-channel condition, a bottleneck of 2 in 4 channels,
// a blended then a gated layer (Softsigmoid gate), grouped conv and layer1x1,
// a head1x1, FiLMs with and without shift (one grouped), a head kernel of 3
// and a post-stack head of two blocks: 204 weights, and 25 in the condition_dsp.
inline std::string small_nam_a2_wavenet() {
    const std::string condition = nam_document("WaveNet", R"({"layers": [
        {"input_size": 1, "condition_size": 1, "channels": 2, "kernel_size": 2, "dilations": [1], "activation": "Tanh",
         "head": {"out_channels": 2, "kernel_size": 1, "bias": false}}], "head": null, "head_scale": 1.0})",
                                               wavy_weights(25, 1.0), R"("sample_rate": 48000)");
    const std::string config = R"({"layers": [
        {"input_size": 1, "condition_size": 2, "channels": 4, "bottleneck": 2, "kernel_sizes": [2, 3],
         "dilations": [1, 2], "activation": ["Tanh", {"type": "LeakyReLU", "negative_slope": 0.1}],
         "gating_mode": ["blended", "gated"], "secondary_activation": ["Sigmoid", "Softsigmoid"],
         "head": {"out_channels": 2, "kernel_size": 3, "bias": true},
         "layer1x1": {"active": true, "groups": 2}, "head1x1": {"active": true, "out_channels": 2, "groups": 1},
         "groups_input": 2, "groups_input_mixin": 1,
         "conv_pre_film": {"active": true, "shift": true, "groups": 1},
         "activation_post_film": {"active": true, "shift": false, "groups": 2},
         "head1x1_post_film": {"active": true, "shift": true, "groups": 1}}],
        "head": {"channels": 2, "activation": "Tanh", "out_channels": 1, "kernel_sizes": [2, 1]},
        "head_scale": 0.5, "condition_dsp": )" + condition + "}";
    std::string text = nam_document("WaveNet", config, wavy_weights(204, 0.5), R"("sample_rate": 48000)");
    text.replace(text.find("0.5.4"), 5, "0.7.0");  // the outer document's version (the first one written)
    return text;
}

}  // namespace pedal::test
