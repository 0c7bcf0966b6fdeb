// Causal, dilated 1-D convolution over channel-planar blocks ([channel][frame]:
// each channel's frames contiguous), with frames, not channels, in the vector
// lanes. Conv1d keeps a frame's channels in the lanes, which fills a vector
// only when a layer has at least as many channels as the vector has lanes: a
// 3-channel network (NAM A2 Lite) ran single-lane multiply-adds there. Here a
// vector holds consecutive frames of one channel, so every lane does useful
// work whatever the channel count, and one weight is broadcast once for all
// of a block's frames.
//
// Weights are [tap][in][out] as in Conv1d, and every output sums its terms in
// Conv1d's order (bias (+ addend), then the taps, inputs in order, then the
// mix channel, acc += w * x), so the two layouts give the same samples.
#pragma once

#include <cstddef>
#include <vector>


namespace pedal::layers {

struct PlanarConvCall {
    const float *in;          // channel i, frame t at in[i * in_stride + t]; lookback frames readable before t = 0
    std::size_t in_stride;
    float *out;               // channel o, frame t at out[o * out_stride + t]
    std::size_t out_stride;
    const float *weights;     // [kernel][in][out]
    const float *bias;        // [out]
    std::size_t frames, in_channels, out_channels, kernel, dilation;
    const float *addend = nullptr;  // planar, addend_stride apart: a residual connection
    std::size_t addend_stride = 0;
    const float *mix_signal = nullptr;   // [frames]: one more input channel (NAM's input mixin)...
    const float *mix_weights = nullptr;  // [out_channels]: ...and its weights
};

// Every output in groups of at most four (planar_conv.cpp).
void planar_conv(const PlanarConvCall &call);

// A Conv1d for planar blocks: the weights and the shape, and a process() that
// says where each block's rows lie.
class PlanarConv {
public:
    PlanarConv() = default;
    PlanarConv(std::size_t in_channels, std::size_t out_channels, std::size_t kernel, std::size_t dilation,
               std::vector<float> weights_tap_in_out, std::vector<float> bias)
        : in_(in_channels), out_(out_channels), kernel_(kernel), dilation_(dilation),
          weights_(std::move(weights_tap_in_out)), bias_(std::move(bias)) {
        if (bias_.empty()) bias_.assign(out_, 0.0f);
    }

    std::size_t lookback() const { return (kernel_ - 1) * dilation_; }
    std::size_t in_channels() const { return in_; }
    std::size_t out_channels() const { return out_; }

    // out = bias (+ addend) + sum_k W[k] . in[t - (kernel-1-k)*dilation] (+ mix_weights * mix_signal[t]).
    void process(const float *in, std::size_t in_stride, std::size_t frames, float *out, std::size_t out_stride,
                 const float *addend = nullptr, std::size_t addend_stride = 0, const float *mix_signal = nullptr,
                 const float *mix_weights = nullptr) const {
        PlanarConvCall call{in, in_stride, out, out_stride, weights_.data(), bias_.data(), frames, in_, out_,
                            kernel_, dilation_};
        call.addend = addend;
        call.addend_stride = addend_stride;
        call.mix_signal = mix_signal;
        call.mix_weights = mix_weights;
        planar_conv(call);
    }

private:
    std::size_t in_ = 0, out_ = 0, kernel_ = 1, dilation_ = 1;
    std::vector<float> weights_;  // [kernel][in][out]
    std::vector<float> bias_;     // [out]
};

}  // namespace pedal::layers
