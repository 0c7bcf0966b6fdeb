// exp, tanh and sigmoid that compilers vectorise, accurate to float rounding.
//
// std::tanh and std::exp are library calls the vectoriser cannot see through,
// and in a WaveNet they cost more than all the multiply-adds together. These
// are straight-line float code (range reduction, a polynomial, exponent bits)
// so a loop over them becomes SIMD on x86 and NEON. Accuracy: |error| < 1e-6
// against std::tanh / the exact sigmoid over the whole float range
// (test_fast_math.cpp); NaN in gives NaN out.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "layers/simd.h"

namespace pedal::layers {

// a * b + c, fused where the target has a fused multiply-add. Said outright
// where two kernels must give the same samples: left to the compiler, whether
// a product and a sum are contracted can differ between a vectorised loop and
// its scalar twin.
inline float multiply_add(float a, float b, float c) {
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
    return std::fma(a, b, c);
#else
    return a * b + c;
#endif
}
#if PEDAL_VECTOR_MATH
using simd::multiply_add;  // the same on whole vectors
#endif

namespace detail {

inline std::uint32_t bits_of(float x) {
    std::uint32_t u;
    std::memcpy(&u, &x, sizeof u);
    return u;
}

inline float float_of(std::uint32_t u) {
    float x;
    std::memcpy(&x, &u, sizeof x);
    return x;
}

// The functions below are written once for T = float and for T = a whole SIMD
// vector (simd.h), so a kernel that holds its values in registers applies them
// without a round trip through memory, and with each lane computed exactly as
// the scalar function computes it.

// x clamped to [low, high], NaN kept (simd.h has the same on whole vectors).
PEDAL_INLINE float clamp(float x, float low, float high) {
    x = x < low ? low : x;  // ternaries, not std::min/max: GCC if-converts these
    return x > high ? high : x;
}

// e^y, y = Factor * x, as p * scale with scale = 2^n, for y in [Low, High]
// (clamped outside; the default is the whole range where e^y is a normal
// float), relative error about 2e-7. The two parts are returned apart so a
// caller can fuse the scaling into its next multiply-add. Written for a short
// dependency chain: in a recurrent network each activation waits for the one
// before. Factor (2 for tanh, -1 for sigmoid) is folded into the constants of
// the first multiply-add, so y is formed beside the chain, not on it; scaling
// by 2 or -1 is exact, so this gives the same bits as exp_parts(Factor * x).
template <typename T>
struct ExpParts {
    T p, scale;
};

template <int Low = -87, int High = 88, int Factor = 1, typename T>
PEDAL_INLINE ExpParts<T> exp_parts(T x) {
    static_assert(Factor == 1 || Factor == 2 || Factor == -1, "exact factors only");
#if PEDAL_VECTOR_MATH
    using simd::bits_of;
    using simd::clamp;
    using simd::float_of;
#endif
    using detail::bits_of;
    using detail::clamp;
    using detail::float_of;
    constexpr float kFactor = float(Factor);
    constexpr float kLow = (Factor > 0 ? float(Low) : float(High)) / kFactor;
    constexpr float kHigh = (Factor > 0 ? float(High) : float(Low)) / kFactor;
    x = clamp(x, kLow, kHigh);
    const T y = kFactor * x;
    // Adding 1.5 * 2^23 + 127 rounds y*log2(e) to an integer n held, plus
    // the exponent bias 127, in the low mantissa bits: that gives n as a float
    // and, shifted into place (the bits above fall off the top), 2^n's
    // exponent field, without a float-to-int conversion.
    constexpr float kRound = 12582912.0f + 127.0f;
    const T shifted = x * (kFactor * 1.44269504088896341f) + kRound;
    const T n = shifted - kRound;
    const auto exponent = bits_of(shifted) << 23;
    // r = y - n*ln2 in two steps (Cody-Waite) so r keeps its low bits, or in
    // one fused step where y is clamped to a narrow range: there |n| <= 26,
    // and a fused multiply-add only adds ln2's float rounding times n, under
    // 5e-8. One step shortens the chain by a multiply-add.
    T r;
#if defined(__FMA__) || defined(__ARM_FEATURE_FMA)
    constexpr bool kOneStep = High - Low <= 36;
#else
    constexpr bool kOneStep = false;
#endif
    if constexpr (kOneStep) {
        r = multiply_add(n, T{} - 0.693147180559945f, y);
    } else {
        r = y - n * 0.693359375f;
        r = r - n * -2.12194440e-4f;
    }
    // A degree-5 polynomial for e^r on [-ln2/2, ln2/2], 1 + r + r^2 (c0 + c1 r
    // + c2 r^2 + c3 r^3), its coefficients fitted for the least worst-case
    // relative error (1.1e-7; 1.9e-7 in float arithmetic) and the bracket
    // evaluated as two independent pairs joined by r^2 (Estrin's order: half
    // the chain of Horner's rule).
    const T r2 = r * r;
    const T bracket = (4.9999231100e-01f + 1.6667114198e-01f * r) + (4.1890069842e-02f + 8.3124935627e-03f * r) * r2;
    return {bracket * r2 + (r + 1.0f), float_of(exponent)};
}

}  // namespace detail

template <typename T>
PEDAL_INLINE T exp_approx(T x) {
    const detail::ExpParts<T> e = detail::exp_parts(x);
    return e.p * e.scale;
}

template <typename T>
PEDAL_INLINE T tanh_approx(T x) {
    // 1 - 2/(e^{2x}+1): saturates cleanly at both ends; absolute error < 1e-6.
    const detail::ExpParts<T> e = detail::exp_parts<-87, 88, 2>(x);
    return 1.0f - 2.0f / (e.p * e.scale + 1.0f);
}

template <typename T>
PEDAL_INLINE T sigmoid_approx(T x) {
    const detail::ExpParts<T> e = detail::exp_parts<-87, 88, -1>(x);
    return 1.0f / (e.p * e.scale + 1.0f);
}

// tanh(a) * sigmoid(b), the gate of a gated WaveNet and of an LSTM's cell
// input and output, with one division instead of two:
//   (E - 1) / ((E + 1)(1 + F)),  E = e^{2a},  F = e^{-b}.
// Both exponents are clamped to [-18, 18], which keeps the denominator finite:
// there tanh is 1 within 3e-8 and a clamped sigmoid is off by under 2e-8.
// Absolute error < 1e-6, like tanh_approx and sigmoid_approx.
//
// Written once for the exponents' factors: <2, -1> takes a and b; <1, 1>
// takes the exponents 2a and -b themselves, for a layer whose weights already
// carry those factors (scaling by 2 and -1 is exact).
template <int FactorA, int FactorB, typename T>
PEDAL_INLINE T tanh_times_sigmoid_with(T a, T b) {
    const detail::ExpParts<T> e = detail::exp_parts<-18, 18, FactorA>(a);
    const detail::ExpParts<T> f = detail::exp_parts<-18, 18, FactorB>(b);
    const T big_e = e.p * e.scale;
    const T one_plus_f = f.p * f.scale + 1.0f;
    return (big_e - 1.0f) / ((big_e + 1.0f) * one_plus_f);
}

template <typename T>
PEDAL_INLINE T tanh_times_sigmoid_of_exponents(T two_a, T minus_b) {
    return tanh_times_sigmoid_with<1, 1>(two_a, minus_b);
}

template <typename T>
PEDAL_INLINE T tanh_times_sigmoid(T a, T b) {
    return tanh_times_sigmoid_with<2, -1>(a, b);
}

namespace detail {

// tanh(x * Scale) = N / D, N = x' P(x'^2), D = Q(x'^2), x' = x * Scale, for
// Scale 1 or 1/2 (scaling by a power of two is exact, so it is folded into the
// coefficients instead of costing a multiply on the chain). x' is clamped to
// [-9, 9], where tanh is 1 within 3e-8. P and Q have degree 4, fitted together
// for the least worst-case error on [0, 9]: 1.9e-8 in exact arithmetic, under
// 4e-7 with float coefficients and arithmetic.
//
// Why a ratio and not e^{2x} (range reduction, a polynomial, the exponent
// bits, then a division): a recurrent layer's activations are a chain each
// link of which waits for the one before, and this one is shorter (a square,
// two polynomials side by side in Estrin's order, one division). It costs more
// multiply-adds, though, so it pays only where that chain is what limits the
// speed (small LSTMs: 1x16 and 2x8 6 % faster on an Intel Xeon; 1x24 6 % and
// 1x40 3 % slower, WaveNets no faster). Keeping N and D apart lets a caller
// fold more factors into that one division.
template <typename T>
struct Ratio {
    T x, p, den;  // N = x * p, left unmultiplied for callers that add it to something
    PEDAL_INLINE T num() const { return x * p; }
};

template <bool Halve, typename T>
PEDAL_INLINE Ratio<T> tanh_ratio(T x) {
#if PEDAL_VECTOR_MATH
    using simd::clamp;
#endif
    using detail::clamp;
    constexpr float s = Halve ? 0.5f : 1.0f, s2 = s * s, s4 = s2 * s2, s6 = s4 * s2, s8 = s4 * s4;
    constexpr float kLimit = 9.0f / s;
    constexpr float a0 = 9.999998807907104e-01f * s, a1 = 1.3373400270938873e-01f * s * s2,
                    a2 = 3.4868151415139437e-03f * s * s4, a3 = 2.047540147032123e-05f * s * s6,
                    a4 = 1.3188652836504389e-08f * s * s8;
    constexpr float b1 = 4.670669734477997e-01f * s2, b2 = 2.5842884555459023e-02f * s4,
                    b3 = 3.2717554131522775e-04f * s6, b4 = 7.704587687840103e-07f * s8;
    x = clamp(x, -kLimit, kLimit);
    const T y = x * x, y2 = y * y, y4 = y2 * y2;
    // Every product that feeds a sum is a multiply_add, said outright, so
    // whole vectors and single floats round alike (see multiply_add).
    const T one = T{} + 1.0f;
    const T p = multiply_add(T{} + a4, y4,
                             multiply_add(multiply_add(T{} + a3, y, T{} + a2), y2, multiply_add(T{} + a1, y, T{} + a0)));
    const T q = multiply_add(T{} + b4, y4,
                             multiply_add(multiply_add(T{} + b3, y, T{} + b2), y2, multiply_add(T{} + b1, y, one)));
    return {x, p, q};
}

}  // namespace detail

// The same three functions by the ratio (detail::tanh_ratio): a shorter chain
// of dependent operations, more multiply-adds. Absolute error < 1e-6.
template <typename T>
PEDAL_INLINE T tanh_short(T x) {
    const detail::Ratio<T> r = detail::tanh_ratio<false>(x);
    return r.num() / r.den;
}

// sigmoid(x) = (1 + tanh(x/2)) / 2 = (D + N) / 2D. Below x = -18, where N / D
// reaches -1 within its error, this can come out up to 3e-8 below 0 (not
// clamped: the clamp cost 2 % of a small LSTM, and the error is in bounds).
template <typename T>
PEDAL_INLINE T sigmoid_short(T x) {
    const detail::Ratio<T> r = detail::tanh_ratio<true>(x);
    return multiply_add(r.x, r.p, r.den) / (r.den + r.den);
}

// tanh(a) * sigmoid(b) = Na (Db + Nb) / (Da * 2 Db), Na / Da = tanh(a), Nb / Db = tanh(b / 2)
// (where b < -18 that can be 2e-8 times tanh(a) the wrong side of 0).
template <typename T>
PEDAL_INLINE T tanh_times_sigmoid_short(T a, T b) {
    const detail::Ratio<T> ta = detail::tanh_ratio<false>(a);
    const detail::Ratio<T> tb = detail::tanh_ratio<true>(b);
    return ta.num() * multiply_add(tb.x, tb.p, tb.den) / (ta.den * (tb.den + tb.den));
}

}  // namespace pedal::layers
