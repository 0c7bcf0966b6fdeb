// The one place with explicit SIMD: a fixed-width float vector for kernels
// whose accumulators must stay in registers. GCC and Clang lower vector
// extensions to SSE/AVX on x86 and NEON on ARM (a width wider than the
// hardware's becomes several registers); any other compiler gets the plain
// array fallback, which gives the same results. Vectors are only passed by
// reference: passing one wider than the target's registers by value would
// change the calling convention between builds.
#pragma once

#include <cstddef>
#include <cstring>

namespace pedal::layers::simd {

// One hardware register: 8 floats with AVX, else 4 (SSE, NEON). Wider vectors
// than the hardware's are lowered poorly (through memory) by GCC.
#if defined(__AVX__)
constexpr std::size_t kWidth = 8;
#else
constexpr std::size_t kWidth = 4;
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

// A 4-lane vector (SSE, NEON) for the part of a row that is not a whole Vec.
constexpr std::size_t kNarrowWidth = 4;

#if defined(__GNUC__) || defined(__clang__)
typedef float Vec __attribute__((vector_size(kWidth * sizeof(float))));
typedef float Narrow __attribute__((vector_size(kNarrowWidth * sizeof(float))));

inline void load(Vec &v, const float *p) { std::memcpy(&v, p, sizeof v); }  // unaligned
inline void store(float *p, const Vec &v) { std::memcpy(p, &v, sizeof v); }
#if defined(__AVX__)  // else Narrow is Vec, and these would be the same functions
inline void load(Narrow &v, const float *p) { std::memcpy(&v, p, sizeof v); }
inline void store(float *p, const Narrow &v) { std::memcpy(p, &v, sizeof v); }
#endif
#else
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
