// Parametric ReLU over frames of `channels` values: y = x for x >= 0, alpha[c] * x
// below. One alpha per channel (a shared alpha is repeated by the loader).
#pragma once

#include <cstddef>
#include <vector>

namespace pedal::layers {

class PRelu {
public:
    PRelu() = default;
    explicit PRelu(std::vector<float> alpha) : alpha_(std::move(alpha)) {}

    std::size_t channels() const { return alpha_.size(); }

    void process(float *x, std::size_t frames) const {
        const std::size_t channels = alpha_.size();
        for (std::size_t t = 0; t < frames; ++t) {
            float *frame = x + t * channels;
            for (std::size_t c = 0; c < channels; ++c)
                frame[c] = frame[c] >= 0.0f ? frame[c] : alpha_[c] * frame[c];
        }
    }

private:
    std::vector<float> alpha_;
};

}  // namespace pedal::layers
