// A layer with one output, frame by frame: y[t] = bias + w . x[t] over
// `width` values (the linear head of a recurrent network, width = its hidden
// size).
//
// The textbook loop sums a frame as one chain of `width` dependent scalar
// multiply-adds, each operand loaded on its own: the head of a 40-unit LSTM
// cost 15 ns a sample that way, 8 % of the whole model. Here eight partial
// sums advance side by side in two 4-lane vectors, then meet pairwise; the
// last width % 8 terms and the bias follow. 4-lane vectors exist on every
// target (SSE, NEON, the plain-array fallback), so the order is the same on
// all of them. It is not the textbook order: results differ from a plain loop
// within float rounding.
#pragma once

#include <cstddef>

#include "layers/simd.h"

namespace pedal::layers {

inline float dot(const float *x, const float *w, std::size_t width) {
    std::size_t i = 0;
#if PEDAL_VECTOR_MATH
    constexpr std::size_t kLanes = simd::kNarrowWidth;  // 4
    simd::Narrow low{}, high{};  // the partial sums of terms 8k + 0..3 and 8k + 4..7
    for (; i + 2 * kLanes <= width; i += 2 * kLanes) {
        simd::Narrow wl, wh, xl, xh;
        simd::load(wl, w + i);
        simd::load(xl, x + i);
        simd::load(wh, w + i + kLanes);
        simd::load(xh, x + i + kLanes);
        low += wl * xl;
        high += wh * xh;
    }
    float part[kLanes];
    simd::store(part, low + high);
    float sum = (part[0] + part[2]) + (part[1] + part[3]);
#else
    float part[8] = {};
    for (; i + 8 <= width; i += 8)
        for (std::size_t l = 0; l < 8; ++l) part[l] += w[i + l] * x[i + l];
    float sum = ((part[0] + part[4]) + (part[2] + part[6])) + ((part[1] + part[5]) + (part[3] + part[7]));
#endif
    for (; i < width; ++i) sum += w[i] * x[i];
    return sum;
}

// y[t] = bias + w . x[t * width .. t * width + width) for t < frames.
inline void dot_frames(const float *x, std::size_t frames, std::size_t width, const float *w, float bias, float *y) {
    for (std::size_t t = 0; t < frames; ++t) y[t] = bias + dot(x + t * width, w, width);
}

}  // namespace pedal::layers
