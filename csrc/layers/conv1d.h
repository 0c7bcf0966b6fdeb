// Causal, dilated 1-D convolution and its 1x1 special case, over blocks of
// frames stored channel-interleaved ([frame][channel]).
//
// Weights are kept as [tap][in][out], the order in which the inner loop walks
// them: for each input sample, one contiguous row of `out` weights is scaled
// and added, which GCC and Clang vectorise. Tap k multiplies the input delayed
// by (kernel-1-k)*dilation frames (PyTorch's cross-correlation made causal by
// left padding): the last tap is "now".
#pragma once

#include <cstddef>
#include <vector>

namespace pedal::layers {

class Conv1d {
public:
    Conv1d() = default;
    Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel,
           std::size_t dilation, std::vector<float> weights_tap_in_out, std::vector<float> bias)
        : in_(in_channels), out_(out_channels), kernel_(kernel), dilation_(dilation),
          weights_(std::move(weights_tap_in_out)), bias_(std::move(bias)) {}

    // Frames of input history the convolution reads behind the current frame.
    std::size_t lookback() const { return (kernel_ - 1) * dilation_; }
    std::size_t in_channels() const { return in_; }
    std::size_t out_channels() const { return out_; }

    // out[t] = bias + sum_k W[k] . in[t - (kernel-1-k)*dilation] for t < frames.
    // `in` points at frame 0 and must have lookback() frames readable before it.
    void process(const float *in, std::size_t frames, float *out) const {
        for (std::size_t t = 0; t < frames; ++t) {
            float *o = out + t * out_;
            for (std::size_t c = 0; c < out_; ++c) o[c] = bias_.empty() ? 0.0f : bias_[c];
            for (std::size_t k = 0; k < kernel_; ++k) {
                const float *x = in + (static_cast<std::ptrdiff_t>(t) -
                                       static_cast<std::ptrdiff_t>((kernel_ - 1 - k) * dilation_)) *
                                          static_cast<std::ptrdiff_t>(in_);
                const float *w = weights_.data() + k * in_ * out_;
                accumulate_row(x, w, o);
            }
        }
    }

private:
    void accumulate_row(const float *x, const float *w, float *o) const {
        for (std::size_t i = 0; i < in_; ++i) {
            const float xi = x[i];
            const float *wi = w + i * out_;
            for (std::size_t c = 0; c < out_; ++c) o[c] += xi * wi[c];
        }
    }

    std::size_t in_ = 0, out_ = 0, kernel_ = 1, dilation_ = 1;
    std::vector<float> weights_;  // [kernel][in][out]
    std::vector<float> bias_;     // [out], or empty for no bias
};

}  // namespace pedal::layers
