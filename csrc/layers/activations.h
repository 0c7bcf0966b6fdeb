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

inline float softsign(float x) { return x / (1.0f + std::fabs(x)); }

// out[i] = fn(in[i]...) over `count` values: whole vectors while they last
// (fast_math.h's functions on simd::Vec), then float by float. Each lane is
// computed as the scalar function computes it, so the split does not show.
template <typename Fn, typename... In>
PEDAL_INLINE void map_lanes(std::size_t count, float *out, Fn fn, const In *...in) {
    std::size_t i = 0;
#if PEDAL_VECTOR_MATH
    for (; i + simd::kWidth <= count; i += simd::kWidth) {
        simd::Vec result;
        result = fn(simd::load_vec(in + i)...);
        simd::store(out + i, result);
    }
#endif
    for (; i < count; ++i) out[i] = fn(in[i]...);
}

// The switch sits outside the loop so the per-sample body has no branch on the kind.
inline void activate_in_place(Activation kind, float *x, std::size_t count) {
    switch (kind) {
        case Activation::Linear: return;
        case Activation::Tanh:
            map_lanes(count, x, [](auto v) { return tanh_approx(v); }, x);
            return;
        case Activation::Sigmoid:
            map_lanes(count, x, [](auto v) { return sigmoid_approx(v); }, x);
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

// Gated activation of `count` values: out[i] = f(filter[i]) * g(gate_half[i]).
// The halves come from two separate convolutions ([frames][channels] each),
// so this is one flat loop, with no per-frame overhead. For TanhSigmoid the
// halves hold the exponents 2a and -b (the convolutions' weights are scaled
// so: see tanh_times_sigmoid_of_exponents).
inline void gate(Gate kind, const float *filter, const float *gate_half, std::size_t count, float *out) {
    if (kind == Gate::TanhSigmoid) {
        map_lanes(count, out, [](auto a, auto b) { return tanh_times_sigmoid_of_exponents(a, b); }, filter, gate_half);
    } else {
        for (std::size_t i = 0; i < count; ++i) out[i] = softsign(filter[i]) * softsign(gate_half[i]);
    }
}

}  // namespace pedal::layers
