#include "layers/planar_conv.h"

#include "layers/simd.h"

namespace pedal::layers {

namespace planar {

PEDAL_INLINE void load(float &v, const float *p) { v = *p; }
PEDAL_INLINE void store(float *p, float v) { *p = v; }
using simd::load;
using simd::store;

// Outputs [first, first + Group) of frames [t, t + Frames * lanes of V): the
// Group x Frames sums stay in registers for the whole tap/input sweep, each
// input vector is loaded once for the group and each weight broadcast once
// for all the frames. V is simd::Vec for whole vectors of frames, float for
// the last few.
template <std::size_t Group, std::size_t Frames, typename V>
PEDAL_INLINE void block(const PlanarConvCall &call, std::size_t first, std::size_t t) {
    constexpr std::size_t lanes = sizeof(V) / sizeof(float);
    const std::size_t in = call.in_channels, out = call.out_channels;
    V sums[Group][Frames];
    PEDAL_UNROLL
    for (std::size_t g = 0; g < Group; ++g) {
        PEDAL_UNROLL
        for (std::size_t f = 0; f < Frames; ++f) {
            sums[g][f] = call.bias[first + g] - V{};  // a broadcast that keeps a -0 bias -0
            if (call.addend != nullptr) {
                V extra;
                load(extra, call.addend + (first + g) * call.addend_stride + t + f * lanes);
                sums[g][f] += extra;
            }
        }
    }
    for (std::size_t k = 0; k < call.kernel; ++k) {
        const std::ptrdiff_t delay = static_cast<std::ptrdiff_t>((call.kernel - 1 - k) * call.dilation);
        const float *x = call.in + (static_cast<std::ptrdiff_t>(t) - delay);
        const float *w = call.weights + k * in * out + first;
        for (std::size_t i = 0; i < in; ++i, x += call.in_stride, w += out) {
            V xs[Frames];
            PEDAL_UNROLL
            for (std::size_t f = 0; f < Frames; ++f) load(xs[f], x + f * lanes);
            PEDAL_UNROLL
            for (std::size_t g = 0; g < Group; ++g) {
                const float weight = w[g];
                PEDAL_UNROLL
                for (std::size_t f = 0; f < Frames; ++f) sums[g][f] += xs[f] * weight;
            }
        }
    }
    if (call.mix_signal != nullptr) {
        V xs[Frames];
        PEDAL_UNROLL
        for (std::size_t f = 0; f < Frames; ++f) load(xs[f], call.mix_signal + t + f * lanes);
        PEDAL_UNROLL
        for (std::size_t g = 0; g < Group; ++g) {
            const float weight = call.mix_weights[first + g];
            PEDAL_UNROLL
            for (std::size_t f = 0; f < Frames; ++f) sums[g][f] += xs[f] * weight;
        }
    }
    PEDAL_UNROLL
    for (std::size_t g = 0; g < Group; ++g) {
        PEDAL_UNROLL
        for (std::size_t f = 0; f < Frames; ++f) store(call.out + (first + g) * call.out_stride + t + f * lanes, sums[g][f]);
    }
}

// Vectors of frames per block: enough independent sums to hide the FMA
// latency while the sums, the input vectors and a broadcast weight fit in the
// target's registers.
template <std::size_t Group>
constexpr std::size_t frame_vectors() {
    constexpr std::size_t frames = (simd::kRegisters - 2) / (Group + 1);
    return frames > 4 ? 4 : (frames < 1 ? 1 : frames);
}

// Not inlined, so that each group size is a function of its own (tools/neon_report.py checks them).
template <std::size_t Group>
PEDAL_NOINLINE void run_group(const PlanarConvCall &call, std::size_t first) {
    constexpr std::size_t vectors = frame_vectors<Group>();
    constexpr std::size_t step = vectors * simd::kWidth;
    std::size_t t = 0;
#if PEDAL_VECTOR_MATH
    for (; t + step <= call.frames; t += step) block<Group, vectors, simd::Vec>(call, first, t);
    for (; t + simd::kWidth <= call.frames; t += simd::kWidth) block<Group, 1, simd::Vec>(call, first, t);
#else
    (void)step;
#endif
    for (; t < call.frames; ++t) block<Group, 1, float>(call, first, t);
}

}  // namespace planar

// The sums of four outputs of a few vectors of frames fill the registers.
void planar_conv(const PlanarConvCall &call) {
    std::size_t first = 0;
    for (; first + 4 <= call.out_channels; first += 4) planar::run_group<4>(call, first);
    switch (call.out_channels - first) {
        case 3: planar::run_group<3>(call, first); break;
        case 2: planar::run_group<2>(call, first); break;
        case 1: planar::run_group<1>(call, first); break;
        default: break;
    }
}

}  // namespace pedal::layers
