// Element-wise activations with parameters (slopes, clamp limits, per-channel
// slopes), for networks whose files name their activation per layer, such as
// Neural Amp Modeler's. The parameterless kinds PedalNetRT also uses run
// activations.h's loops; this adds the rest of the kinds NAM names.
//
// Applied to a whole block of [frame][channel] values; the switch on the kind
// sits outside the loops so each loop body is branch-free and vectorisable.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "layers/activations.h"
#include "layers/fast_math.h"

namespace pedal::layers {

struct Pointwise {
    enum class Kind {
        Identity,
        Tanh,
        Hardtanh,       // clamp to [min_value, max_value]
        Fasttanh,       // NAM's rational approximation, kept bit-for-bit so files trained for it sound the same
        ReLU,
        LeakyReLU,      // x < 0 scaled by slopes[0], or by slopes[channel] when slopes has one per channel (PReLU)
        Sigmoid,
        SiLU,
        Hardswish,
        LeakyHardtanh,  // identity inside [min_value, max_value], min_slope / max_slope outside
        Softsign,
        Softsigmoid,    // 0.5 (1 + x / (1 + |x|)): NAM's trainer names it, NAM Core does not (yet)
    };

    Kind kind = Kind::Identity;
    float min_value = -1.0f, max_value = 1.0f;
    float min_slope = 0.01f, max_slope = 0.01f;
    std::vector<float> slopes{0.01f};

    // NeuralAmpModelerCore's fast_tanh (activations.h), max error 4.4e-4 against tanh.
    static float fast_tanh(float x) {
        const float ax = std::fabs(x);
        const float x2 = x * x;
        return (x * (2.45550750702956f + 2.45550750702956f * ax + (0.893229853513558f + 0.821226666969744f * ax) * x2)) /
               (2.44506634652299f + (2.44506634652299f + x2) * std::fabs(x + 0.814642734961073f * x * ax));
    }

    // `x` holds `frames` frames of `channels` values, the frame stride being `stride`
    // (>= channels: a gate's two halves share one frame).
    void apply(float *x, std::size_t frames, std::size_t channels, std::size_t stride) const {
        if (kind == Kind::LeakyReLU) {
            apply_slopes(x, frames, channels, stride);
            return;
        }
        // A block without gaps is one long row: one vectorised loop instead of a
        // short one per frame (which matters most for narrow models).
        if (stride == channels) {
            apply_row(x, frames * channels);
            return;
        }
        for (std::size_t t = 0; t < frames; ++t) apply_row(x + t * stride, channels);
    }

    // The same over a planar block: `channels` rows of `frames` values,
    // `row_stride` apart (a per-channel slope is the row's).
    void apply_rows(float *x, std::size_t frames, std::size_t channels, std::size_t row_stride) const {
        for (std::size_t c = 0; c < channels; ++c) {
            float *row = x + c * row_stride;
            if (kind != Kind::LeakyReLU) {
                apply_row(row, frames);
                continue;
            }
            const float slope = slope_of(c, channels);
            for (std::size_t t = 0; t < frames; ++t) row[t] = row[t] > 0.0f ? row[t] : slope * row[t];
        }
    }

private:
    void apply_row(float *x, std::size_t n) const {
        switch (kind) {
            case Kind::Identity:
            case Kind::LeakyReLU:  // handled by apply_slopes
                return;
            case Kind::Tanh: activate_in_place(Activation::Tanh, x, n); return;
            case Kind::ReLU: activate_in_place(Activation::ReLU, x, n); return;
            case Kind::Sigmoid: activate_in_place(Activation::Sigmoid, x, n); return;
            case Kind::Softsign: activate_in_place(Activation::Softsign, x, n); return;
            case Kind::Hardtanh:
                for (std::size_t i = 0; i < n; ++i)
                    x[i] = x[i] < min_value ? min_value : (x[i] > max_value ? max_value : x[i]);
                return;
            case Kind::Fasttanh:
                for (std::size_t i = 0; i < n; ++i) x[i] = fast_tanh(x[i]);
                return;
            case Kind::Softsigmoid:
                for (std::size_t i = 0; i < n; ++i) x[i] = 0.5f * (1.0f + x[i] / (1.0f + std::fabs(x[i])));
                return;
            case Kind::SiLU:
                for (std::size_t i = 0; i < n; ++i) x[i] = x[i] * sigmoid_approx(x[i]);
                return;
            case Kind::Hardswish:
                for (std::size_t i = 0; i < n; ++i) {
                    const float t = x[i] + 3.0f;
                    const float clamped = t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t);
                    x[i] = x[i] * clamped * (1.0f / 6.0f);
                }
                return;
            case Kind::LeakyHardtanh:
                for (std::size_t i = 0; i < n; ++i) {
                    const float v = x[i];
                    x[i] = v < min_value ? (v - min_value) * min_slope + min_value
                                         : (v > max_value ? (v - max_value) * max_slope + max_value : v);
                }
                return;
        }
    }

    // Channel c's slope: its own with one per channel (PReLU), else the one slope.
    float slope_of(std::size_t c, std::size_t channels) const {
        return slopes.size() == channels && channels > 1 ? slopes[c] : slopes[0];
    }

    void apply_slopes(float *x, std::size_t frames, std::size_t channels, std::size_t stride) const {
        for (std::size_t t = 0; t < frames; ++t) {
            float *row = x + t * stride;
            for (std::size_t c = 0; c < channels; ++c) {
                const float slope = slope_of(c, channels);
                row[c] = row[c] > 0.0f ? row[c] : slope * row[c];
            }
        }
    }
};

}  // namespace pedal::layers
