// The inner loops of Conv1d: one generic kernel, and the same loop with the
// channel counts fixed at compile time for the shapes real models use. Knowing
// `out` lets the compiler keep a frame's accumulators in vector registers
// across the whole tap/input sweep instead of reloading them from memory.
#pragma once

#include <cstddef>

#include "layers/simd.h"

namespace pedal::layers {

struct ConvCall {
    const float *in;       // frame 0; lookback frames readable before it
    float *out;            // [frames][out_channels]
    const float *weights;  // [kernel][in][out]
    const float *bias;     // [out]
    std::size_t frames, in_channels, out_channels, kernel, dilation;
};

using ConvKernel = void (*)(const ConvCall &call);

inline void conv_generic(const ConvCall &call) {
    const std::size_t in = call.in_channels, out = call.out_channels;
    for (std::size_t t = 0; t < call.frames; ++t) {
        float *o = call.out + t * out;
        for (std::size_t c = 0; c < out; ++c) o[c] = call.bias[c];
        for (std::size_t k = 0; k < call.kernel; ++k) {
            const float *x = call.in + (static_cast<std::ptrdiff_t>(t) -
                                        static_cast<std::ptrdiff_t>((call.kernel - 1 - k) * call.dilation)) *
                                           static_cast<std::ptrdiff_t>(in);
            const float *w = call.weights + k * in * out;
            for (std::size_t i = 0; i < in; ++i) {
                const float xi = x[i];
                const float *wi = w + i * out;
                for (std::size_t c = 0; c < out; ++c) o[c] += xi * wi[c];
            }
        }
    }
}

// Compile-time channel counts: a frame's accumulators are Out/kWidth SIMD
// registers that stay put for the whole tap/input sweep. Same summation order
// as conv_generic, so the same samples.
template <std::size_t In, std::size_t Out>
void conv_fixed(const ConvCall &call) {
    static_assert(Out % simd::kWidth == 0, "conv_fixed needs a whole number of vectors per frame");
    constexpr std::size_t kVectors = Out / simd::kWidth;
    for (std::size_t t = 0; t < call.frames; ++t) {
        simd::Vec acc[kVectors];
        for (std::size_t v = 0; v < kVectors; ++v) simd::load(acc[v], call.bias + v * simd::kWidth);
        for (std::size_t k = 0; k < call.kernel; ++k) {
            const float *x = call.in + (static_cast<std::ptrdiff_t>(t) -
                                        static_cast<std::ptrdiff_t>((call.kernel - 1 - k) * call.dilation)) *
                                           static_cast<std::ptrdiff_t>(In);
            const float *w = call.weights + k * In * Out;
            for (std::size_t i = 0; i < In; ++i) {
                const float xi = x[i];
                for (std::size_t v = 0; v < kVectors; ++v)
                    simd::multiply_add(acc[v], w + i * Out + v * simd::kWidth, xi);
            }
        }
        float *o = call.out + t * Out;
        for (std::size_t v = 0; v < kVectors; ++v) simd::store(o + v * simd::kWidth, acc[v]);
    }
}

// The fixed kernel for (in, out) when one is compiled in, else conv_generic.
ConvKernel select_conv_kernel(std::size_t in_channels, std::size_t out_channels);

}  // namespace pedal::layers
