// Element-wise activations and the WaveNet gates, applied to a whole block.
//
// tanh and sigmoid come from fast_math.h: as accurate as std::tanh to float
// rounding (< 1e-6 absolute), but vectorised, which matters because the
// gates cost as much as the convolutions around them.
#pragma once

#include <cmath>
#include <cstddef>

#include "layers/fast_math.h"

namespace pedal::layers {

enum class Activation { Linear, Tanh, Sigmoid, ReLU, Softsign };

inline float sigmoid(float x) { return sigmoid_approx(x); }
inline float softsign(float x) { return x / (1.0f + std::fabs(x)); }

// The switch sits outside the loop so the per-sample body has no branch on the kind.
inline void activate_in_place(Activation kind, float *x, std::size_t count) {
    switch (kind) {
        case Activation::Linear: return;
        case Activation::Tanh:
            for (std::size_t i = 0; i < count; ++i) x[i] = tanh_approx(x[i]);
            return;
        case Activation::Sigmoid:
            for (std::size_t i = 0; i < count; ++i) x[i] = sigmoid(x[i]);
            return;
        case Activation::ReLU:
            for (std::size_t i = 0; i < count; ++i) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
            return;
        case Activation::Softsign:
            for (std::size_t i = 0; i < count; ++i) x[i] = softsign(x[i]);
            return;
    }
}

enum class Gate { TanhSigmoid, SoftsignSoftsign };

// Gated activation over `frames` frames of 2*channels pre-activations laid out
// [filter half | gate half]; writes `channels` values per frame to `out`.
inline void gate(Gate kind, const float *pre, std::size_t frames, std::size_t channels,
                 float *out) {
    for (std::size_t t = 0; t < frames; ++t) {
        const float *filter = pre + t * 2 * channels;
        const float *gate_half = filter + channels;
        float *o = out + t * channels;
        if (kind == Gate::TanhSigmoid) {
            for (std::size_t c = 0; c < channels; ++c)
                o[c] = tanh_times_sigmoid(filter[c], gate_half[c]);
        } else {
            for (std::size_t c = 0; c < channels; ++c)
                o[c] = softsign(filter[c]) * softsign(gate_half[c]);
        }
    }
}

}  // namespace pedal::layers
