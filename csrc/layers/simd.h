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

#if defined(__GNUC__) || defined(__clang__)
typedef float Vec __attribute__((vector_size(kWidth * sizeof(float))));

inline void load(Vec &v, const float *p) { std::memcpy(&v, p, sizeof v); }  // unaligned
inline void store(float *p, const Vec &v) { std::memcpy(p, &v, sizeof v); }
// acc += w[0..kWidth) * x
inline void multiply_add(Vec &acc, const float *w, float x) {
    Vec wv;
    std::memcpy(&wv, w, sizeof wv);
    acc += wv * x;
}
#else
struct Vec {
    float lane[kWidth];
};
inline void load(Vec &v, const float *p) { std::memcpy(v.lane, p, sizeof v.lane); }
inline void store(float *p, const Vec &v) { std::memcpy(p, v.lane, sizeof v.lane); }
inline void multiply_add(Vec &acc, const float *w, float x) {
    for (std::size_t i = 0; i < kWidth; ++i) acc.lane[i] += w[i] * x;
}
#endif

}  // namespace pedal::layers::simd
