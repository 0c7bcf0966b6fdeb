// An activation applied to frames of `channels` values, as a layer of its own:
// the kinds Keras-style model lists name. Softmax is the one that is not
// element-wise: it normalises across the channels of each frame.
#pragma once

#include <algorithm>
#include <cstddef>

#include "layers/activations.h"
#include "layers/fast_math.h"

namespace pedal::layers {

enum class ActivationKind { Linear, Tanh, Sigmoid, ReLU, Elu, Softmax };

class ActivationLayer {
public:
    ActivationLayer() = default;
    ActivationLayer(ActivationKind kind, std::size_t channels) : kind_(kind), channels_(channels) {}

    ActivationKind kind() const { return kind_; }
    std::size_t channels() const { return channels_; }

    void process(float *x, std::size_t frames) const {
        const std::size_t count = frames * channels_;
        switch (kind_) {
            case ActivationKind::Linear: return;
            case ActivationKind::Tanh: activate_in_place(Activation::Tanh, x, count); return;
            case ActivationKind::Sigmoid: activate_in_place(Activation::Sigmoid, x, count); return;
            case ActivationKind::ReLU: activate_in_place(Activation::ReLU, x, count); return;
            case ActivationKind::Elu:
                // alpha = 1, the only value the exporters write.
                for (std::size_t i = 0; i < count; ++i) x[i] = x[i] > 0.0f ? x[i] : exp_approx(x[i]) - 1.0f;
                return;
            case ActivationKind::Softmax:
                for (std::size_t t = 0; t < frames; ++t) softmax(x + t * channels_);
                return;
        }
    }

private:
    void softmax(float *frame) const {
        // Subtracting the maximum keeps every exponent <= 0, so none overflows.
        const float peak = *std::max_element(frame, frame + channels_);
        float sum = 0.0f;
        for (std::size_t c = 0; c < channels_; ++c) {
            frame[c] = exp_approx(frame[c] - peak);
            sum += frame[c];
        }
        for (std::size_t c = 0; c < channels_; ++c) frame[c] /= sum;
    }

    ActivationKind kind_ = ActivationKind::Linear;
    std::size_t channels_ = 0;
};

}  // namespace pedal::layers
