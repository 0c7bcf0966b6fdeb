// Causal, dilated 1-D convolution and its 1x1 special case, over blocks of
// frames stored channel-interleaved ([frame][channel]).
//
// Weights are kept as [tap][in][out], the order in which the inner loop walks
// them: for each input sample, one contiguous row of `out` weights is scaled
// and added, which GCC and Clang vectorise. Tap k multiplies the input delayed
// by (kernel-1-k)*dilation frames (PyTorch's cross-correlation made causal by
// left padding): the last tap is "now".
//
// The common channel counts get kernels with sizes fixed at compile time
// (conv_kernels.h), picked once at construction; every other shape runs the
// generic kernel. Both sum in the same order, so they give the same samples,
// but for dense heads to one output, which sum across vector lanes (dot.h).
#pragma once

#include <cstddef>
#include <vector>

#include "layers/aligned.h"
#include "layers/conv_kernels.h"

namespace pedal::layers {

class Conv1d {
public:
    Conv1d() = default;
    Conv1d(std::size_t in_channels, std::size_t out_channels, std::size_t kernel, std::size_t dilation,
           std::vector<float> weights_tap_in_out, std::vector<float> bias)
        : in_(in_channels), out_(out_channels), kernel_(kernel), dilation_(dilation),
          weights_(weights_tap_in_out.begin(), weights_tap_in_out.end()), bias_(bias.begin(), bias.end()),
          run_(select_conv_kernel(in_channels, out_channels)) {
        if (bias_.empty()) bias_.assign(out_, 0.0f);
    }

    // Frames of input history the convolution reads behind the current frame.
    std::size_t lookback() const { return (kernel_ - 1) * dilation_; }
    std::size_t in_channels() const { return in_; }
    std::size_t out_channels() const { return out_; }
    // True when a compile-time-sized kernel serves this shape (for tests and bench).
    bool specialised() const { return run_ != &conv_generic; }

    // out[t] = bias + sum_k W[k] . in[t - (kernel-1-k)*dilation] for t < frames.
    // `in` points at frame 0 and must have lookback() frames readable before it.
    void process(const float *in, std::size_t frames, float *out) const {
        run_({in, out, weights_.data(), bias_.data(), frames, in_, out_, kernel_, dilation_});
    }

    // The same, each output starting from bias + addend[t] (a residual
    // connection, [frames][out]) + mix_weights * mix_signal[t] (one more input
    // channel, NAM's mixin); either may be null.
    void process(const float *in, std::size_t frames, float *out, const float *addend, const float *mix_signal,
                 const float *mix_weights) const {
        ConvCall call{in, out, weights_.data(), bias_.data(), frames, in_, out_, kernel_, dilation_};
        call.addend = addend;
        call.mix_signal = mix_signal;
        call.mix_weights = mix_weights;
        run_(call);
    }

    // The generic kernel whatever the shape: the reference the specialised
    // kernels are tested against.
    void process_generic(const float *in, std::size_t frames, float *out, const float *addend = nullptr,
                         const float *mix_signal = nullptr, const float *mix_weights = nullptr) const {
        ConvCall call{in, out, weights_.data(), bias_.data(), frames, in_, out_, kernel_, dilation_};
        call.addend = addend;
        call.mix_signal = mix_signal;
        call.mix_weights = mix_weights;
        conv_generic(call);
    }

private:
    std::size_t in_ = 0, out_ = 0, kernel_ = 1, dilation_ = 1;
    // On cache lines (aligned.h): rows of 8 and 16 outputs are then whole
    // lines or halves, and no vector load of them straddles two.
    AlignedFloats weights_;  // [kernel][in][out]
    AlignedFloats bias_;     // [out]
    ConvKernel run_ = &conv_generic;
};

}  // namespace pedal::layers
