// The one place with explicit SIMD: a fixed-width float vector for kernels
// whose accumulators must stay in registers, and the few operations on it that
// the vector extensions do not spell as one instruction (fused multiply-add, a
// NaN-keeping clamp), as intrinsics. GCC and Clang lower vector extensions to
// SSE/AVX on x86 and NEON on ARM; any other compiler gets the plain array
// fallback, which gives the same results (and fast_math.h then stays scalar).
// A Vec is never wider than the target's registers, so the always-inlined
// helpers below may take it by value; the kernels pass their sums by
// reference.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__GNUC__) || defined(__clang__)
#if defined(__SSE__)
#include <immintrin.h>
#elif defined(__ARM_NEON)
#include <arm_neon.h>
#endif
#endif

namespace pedal::layers::simd {

// One hardware register: 8 floats with AVX, else 4 (SSE, NEON). Wider vectors
// than the hardware's are lowered poorly (through memory) by GCC.
#if defined(__AVX__)
constexpr std::size_t kWidth = 8;
#else
constexpr std::size_t kWidth = 4;
#endif

// Vector registers the target has: what a kernel may keep its sums in.
#if defined(__aarch64__)
constexpr std::size_t kRegisters = 32;
#else
constexpr std::size_t kRegisters = 16;
#endif

// Loops over a micro-kernel's registers must be unrolled completely, or the
// accumulators live on the stack instead of in registers.
#if defined(__GNUC__) || defined(__clang__)
#define PEDAL_UNROLL _Pragma("GCC unroll 64")
#else
#define PEDAL_UNROLL
#endif

// A micro-kernel's helpers must be inlined for the same reason.
#if defined(__GNUC__) || defined(__clang__)
#define PEDAL_INLINE inline __attribute__((always_inline))
#else
#define PEDAL_INLINE inline
#endif

// A kernel kept as a function of its own (so tools/neon_report.py finds it).
#if defined(__GNUC__) || defined(__clang__)
#define PEDAL_NOINLINE __attribute__((noinline))
#else
#define PEDAL_NOINLINE
#endif

// A 4-lane vector (SSE, NEON) for the part of a row that is not a whole Vec.
constexpr std::size_t kNarrowWidth = 4;

#if defined(__GNUC__) || defined(__clang__)
typedef float Vec __attribute__((vector_size(kWidth * sizeof(float))));
typedef float Narrow __attribute__((vector_size(kNarrowWidth * sizeof(float))));

// The lanes' bit patterns, for the exponent tricks of fast_math.h.
typedef std::uint32_t UVec __attribute__((vector_size(kWidth * sizeof(float))));
typedef std::uint32_t UNarrow __attribute__((vector_size(kNarrowWidth * sizeof(float))));

// Whole-vector maths (fast_math.h's activations) is written once for float
// and for these types; PEDAL_VECTOR_MATH says these exist.
#define PEDAL_VECTOR_MATH 1

inline void load(Vec &v, const float *p) { std::memcpy(&v, p, sizeof v); }  // unaligned
inline void store(float *p, const Vec &v) { std::memcpy(p, &v, sizeof v); }
PEDAL_INLINE Vec load_vec(const float *p) {
    Vec v;
    load(v, p);
    return v;
}
PEDAL_INLINE UVec bits_of(Vec v) { return (UVec)v; }  // a GNU vector cast keeps the bits
PEDAL_INLINE Vec float_of(UVec u) { return (Vec)u; }
// a * b + c, fused exactly where the scalar multiply_add of fast_math.h is, so
// a kernel on vectors gives its scalar twin's samples.
PEDAL_INLINE Vec multiply_add(Vec a, Vec b, Vec c) {
#if defined(__FMA__) && defined(__AVX__)
    return _mm256_fmadd_ps(a, b, c);
#elif defined(__ARM_FEATURE_FMA) && defined(__ARM_NEON)
    return vfmaq_f32(c, a, b);
#else
    return a * b + c;
#endif
}
// x clamped to [low, high] in one instruction per side where the target has
// one; a NaN lane stays NaN, as in the scalar clamp of fast_math.h. x86's
// max(a, b) and min(a, b) are "a > b ? a : b" and "a < b ? a : b", so x goes
// second and a NaN x falls through both; NEON's return NaN.
PEDAL_INLINE Vec clamp(Vec x, float low, float high) {
#if defined(__AVX__)
    return _mm256_min_ps(_mm256_set1_ps(high), _mm256_max_ps(_mm256_set1_ps(low), x));
#elif defined(__ARM_NEON)
    return vminq_f32(vmaxq_f32(x, vdupq_n_f32(low)), vdupq_n_f32(high));
#elif defined(__SSE__)
    return _mm_min_ps(_mm_set1_ps(high), _mm_max_ps(_mm_set1_ps(low), x));
#else
    const Vec lo = Vec{} + low, hi = Vec{} + high;
    x = x < lo ? lo : x;
    return x > hi ? hi : x;
#endif
}
#if defined(__AVX__)  // else Narrow is Vec, and these would be the same functions
PEDAL_INLINE Narrow clamp(Narrow x, float low, float high) {
    return _mm_min_ps(_mm_set1_ps(high), _mm_max_ps(_mm_set1_ps(low), x));
}
inline void load(Narrow &v, const float *p) { std::memcpy(&v, p, sizeof v); }
inline void store(float *p, const Narrow &v) { std::memcpy(p, &v, sizeof v); }
PEDAL_INLINE UNarrow bits_of(Narrow v) { return (UNarrow)v; }
PEDAL_INLINE Narrow float_of(UNarrow u) { return (Narrow)u; }
PEDAL_INLINE Narrow multiply_add(Narrow a, Narrow b, Narrow c) {
#if defined(__FMA__)
    return _mm_fmadd_ps(a, b, c);
#else
    return a * b + c;
#endif
}
#endif
#else
#define PEDAL_VECTOR_MATH 0
template <std::size_t N>
struct Lanes {
    float lane[N];
    Lanes operator*(float x) const {
        Lanes out;
        for (std::size_t i = 0; i < N; ++i) out.lane[i] = lane[i] * x;
        return out;
    }
    Lanes &operator+=(const Lanes &other) {
        for (std::size_t i = 0; i < N; ++i) lane[i] += other.lane[i];
        return *this;
    }
};
using Vec = Lanes<kWidth>;
using Narrow = Lanes<kNarrowWidth>;
template <std::size_t N>
void load(Lanes<N> &v, const float *p) { std::memcpy(v.lane, p, sizeof v.lane); }
template <std::size_t N>
void store(float *p, const Lanes<N> &v) { std::memcpy(p, v.lane, sizeof v.lane); }
#endif

}  // namespace pedal::layers::simd
