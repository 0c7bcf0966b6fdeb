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
    // Optional terms a WaveNet layer adds to its conv, folded into the
    // accumulators' starting values instead of costing passes of their own:
    const float *addend = nullptr;       // [frames][out_channels]: a residual connection
    const float *mix_signal = nullptr;   // [frames]: one more input channel (NAM's input mixin)...
    const float *mix_weights = nullptr;  // [out_channels]: ...and its weights
};

// Every kernel sums in this order: bias (+ addend), then the taps, then the
// mix channel, each product added as acc += w * x like the taps' (so FMA
// contraction, where the target has it, treats them all alike).
inline float conv_start(const ConvCall &call, std::size_t t, std::size_t c) {
    float start = call.bias[c];
    if (call.addend != nullptr) start += call.addend[t * call.out_channels + c];
    return start;
}

using ConvKernel = void (*)(const ConvCall &call);

inline void conv_generic(const ConvCall &call) {
    const std::size_t in = call.in_channels, out = call.out_channels;
    for (std::size_t t = 0; t < call.frames; ++t) {
        float *o = call.out + t * out;
        for (std::size_t c = 0; c < out; ++c) o[c] = conv_start(call, t, c);
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
        if (call.mix_signal != nullptr) {
            const float xi = call.mix_signal[t];
            for (std::size_t c = 0; c < out; ++c) o[c] += xi * call.mix_weights[c];
        }
    }
}

// Compile-time channel counts, and several frames at once: the accumulators
// of kFrames frames stay in registers for the whole tap/input sweep, and each
// row of weights is loaded once for all of them (a small matrix-product
// micro-kernel). A frame's Out outputs are whole hardware vectors, then a
// 4-lane vector when the hardware's is 8 wide, then single lanes. Every
// output sums its terms in conv_generic's order, so the samples are the same.
template <std::size_t In, std::size_t Out>
struct FixedConv {
    static constexpr std::size_t kWide = Out / simd::kWidth;                  // full vectors per frame
    static constexpr std::size_t kNarrow = (Out % simd::kWidth) / simd::kNarrowWidth;  // 4-lane vectors
    static constexpr std::size_t kLanes = Out % simd::kNarrowWidth;             // single floats
    static constexpr std::size_t kRegisters = kWide + kNarrow + kLanes;
    // About eight accumulators: enough independent sums to hide the FMA
    // latency, few enough to leave registers for the weights. A frame of two
    // whole vectors (16 outputs on AVX2) takes 6 frames, 12 sums: with only 8
    // in flight, its multiply-adds left the FMA units idle now and then
    // (PedalNetRT, whose convs are all 16 -> 16, 2 % faster; NAM standard the
    // same); giving every width 12 sums made NAM standard 1 % slower.
    static constexpr std::size_t kFrames =
        kRegisters >= 8 ? 1 : (kRegisters == 2 && kNarrow == 0 && kLanes == 0 ? 12 : 8) / kRegisters;

    template <std::size_t Frames>
    struct Sums {
        simd::Vec wide[Frames][kWide ? kWide : 1];
        simd::Narrow narrow[Frames][kNarrow ? kNarrow : 1];
        float lanes[Frames][kLanes ? kLanes : 1];
    };

    // sums[f] += row * x[f * stride] for every frame: one row of Out weights,
    // loaded once for all the frames.
    template <std::size_t Frames>
    static void add_row(Sums<Frames> &sums, const float *row, const float *x, std::size_t stride) {
        simd::Vec wide_weights[kWide ? kWide : 1];
        PEDAL_UNROLL
        for (std::size_t v = 0; v < kWide; ++v) simd::load(wide_weights[v], row + v * simd::kWidth);
        simd::Narrow narrow_weights;
        if constexpr (kNarrow > 0) simd::load(narrow_weights, row + kWide * simd::kWidth);
        PEDAL_UNROLL
        for (std::size_t f = 0; f < Frames; ++f) {
            const float xi = x[f * stride];
            PEDAL_UNROLL
            for (std::size_t v = 0; v < kWide; ++v) sums.wide[f][v] += wide_weights[v] * xi;
            if constexpr (kNarrow > 0) sums.narrow[f][0] += narrow_weights * xi;
            PEDAL_UNROLL
            for (std::size_t l = 0; l < kLanes; ++l) sums.lanes[f][l] += row[Out - kLanes + l] * xi;
        }
    }

    template <std::size_t Frames>
    static void block(const ConvCall &call, std::size_t t) {
        Sums<Frames> sums;
        PEDAL_UNROLL
        for (std::size_t f = 0; f < Frames; ++f) {  // as conv_start: bias (+ addend)
            const float *addend = call.addend != nullptr ? call.addend + (t + f) * Out : nullptr;
            PEDAL_UNROLL
            for (std::size_t v = 0; v < kWide; ++v) start(sums.wide[f][v], call.bias, addend, v * simd::kWidth);
            if constexpr (kNarrow > 0) start(sums.narrow[f][0], call.bias, addend, kWide * simd::kWidth);
            PEDAL_UNROLL
            for (std::size_t l = 0; l < kLanes; ++l) sums.lanes[f][l] = conv_start(call, t + f, Out - kLanes + l);
        }
        for (std::size_t k = 0; k < call.kernel; ++k) {
            const std::ptrdiff_t delay = static_cast<std::ptrdiff_t>((call.kernel - 1 - k) * call.dilation);
            const float *x = call.in + (static_cast<std::ptrdiff_t>(t) - delay) * static_cast<std::ptrdiff_t>(In);
            const float *w = call.weights + k * In * Out;
            PEDAL_UNROLL
            for (std::size_t i = 0; i < In; ++i) add_row(sums, w + i * Out, x + i, In);
        }
        if (call.mix_signal != nullptr) add_row(sums, call.mix_weights, call.mix_signal + t, 1);
        PEDAL_UNROLL
        for (std::size_t f = 0; f < Frames; ++f) {
            float *o = call.out + (t + f) * Out;
            PEDAL_UNROLL
            for (std::size_t v = 0; v < kWide; ++v) simd::store(o + v * simd::kWidth, sums.wide[f][v]);
            if constexpr (kNarrow > 0) simd::store(o + kWide * simd::kWidth, sums.narrow[f][0]);
            PEDAL_UNROLL
            for (std::size_t l = 0; l < kLanes; ++l) o[Out - kLanes + l] = sums.lanes[f][l];
        }
    }

    template <typename V>
    static void start(V &sum, const float *bias, const float *addend, std::size_t c) {
        simd::load(sum, bias + c);
        if (addend != nullptr) {
            V extra;
            simd::load(extra, addend + c);
            sum += extra;
        }
    }

    static void run(const ConvCall &call) {
        std::size_t t = 0;
        for (; t + kFrames <= call.frames; t += kFrames) block<kFrames>(call, t);
        for (; t < call.frames; ++t) block<1>(call, t);
    }
};

template <std::size_t In, std::size_t Out>
void conv_fixed(const ConvCall &call) {
    FixedConv<In, Out>::run(call);
}

// The fixed kernel for (in, out) when one is compiled in, else conv_generic.
ConvKernel select_conv_kernel(std::size_t in_channels, std::size_t out_channels);

}  // namespace pedal::layers
