// One layer array of a NAM WaveNet config, read and checked before any
// weight is (spec: formats/nam.md §3, formats/nam-a2.md §3-§5): both the A1
// ("legacy") spelling and the 0.7 one with every A2 layer feature, and the
// post-stack head. formats/nam_wavenet.cpp chains the arrays, counts and
// takes the weights.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "formats/nam_activation.h"
#include "json/json.h"
#include "models/nam_wavenet.h"

namespace pedal::formats::nam {

// Far above any published model (A1 standard: 2 arrays, 16 channels, 10
// layers, kernel 3; A2: kernel 15, head kernel 16), low enough that a hostile
// file cannot make a Pi allocate or prewarm for long (the whole network's
// limits are in formats/nam_wavenet.cpp).
constexpr long long kMaxChannels = 256;
constexpr long long kMaxKernel = 64;
constexpr long long kMaxLayers = 256;
constexpr long long kMaxDilation = 65536;
constexpr long long kMaxHeadBlocks = 16;

// The FiLM keys in the file, in models::NamFilmPlace order (the weights' order).
inline constexpr const char *kFilmKeys[] = {"conv_pre_film",        "conv_post_film",       "input_mixin_pre_film",
                                            "input_mixin_post_film", "activation_pre_film", "activation_post_film",
                                            "layer1x1_post_film",   "head1x1_post_film"};

struct FilmShape {
    bool active = false, shift = true;
    std::size_t groups = 1;
};

// One layer array's shape, checked, before any weight is read.
struct ArrayShape {
    std::string path;
    std::size_t input_size = 1, condition_size = 1, channels = 0, bottleneck = 0;
    std::size_t head_size = 0, head_kernel = 1;
    bool head_bias = false;
    std::vector<std::size_t> kernels, dilations;
    std::vector<NamedActivation> activations, secondaries;
    std::vector<models::NamGating> gating;
    bool layer1x1 = true, head1x1 = false;
    std::size_t layer1x1_groups = 1, head1x1_out = 0, head1x1_groups = 1;
    std::size_t groups_input = 1, groups_mixin = 1;
    std::array<FilmShape, models::kFilmPlaces> films;
    std::vector<std::size_t> allowed_channels;  // slimmable widths; empty: not slimmable

    std::size_t width(std::size_t j) const { return gating[j] == models::NamGating::None ? bottleneck : 2 * bottleneck; }
    std::size_t head_input() const { return head1x1 ? head1x1_out : bottleneck; }
    // The channels a FiLM at `place` modulates in layer j.
    std::size_t film_width(std::size_t place, std::size_t j) const {
        switch (place) {
            case models::kConvPre: case models::kLayer1x1Post: return channels;
            case models::kMixinPre: return condition_size;
            case models::kActivationPost: return bottleneck;
            case models::kHead1x1Post: return head1x1_out;
            default: return width(j);  // conv_post, input_mixin_post, activation_pre
        }
    }
};

struct HeadShape {
    std::size_t channels = 0, out = 0;
    std::vector<std::size_t> kernels;
    NamedActivation activation;
};


// config.layers[i] at `path`. Throws FormatError naming the key.
ArrayShape read_array(const json::Value &layer, const std::string &path);

// config.head (not null), fed by the last array's `in` head channels.
HeadShape read_post_head(const json::Value &head, const std::string &path, std::size_t in);

}  // namespace pedal::formats::nam
