// The inner product the FIR blocks (resampler, convolver's direct part) spend
// their time in: eight independent lanes, so the compiler vectorises it
// without reassociating floating-point sums. Taps come in multiples of 8.
#pragma once

#include <cstddef>

namespace pedal::dsp {

inline float dot(const float *c, const float *x, std::size_t taps) noexcept {
    float lanes[8] = {};
    for (std::size_t j = 0; j < taps; j += 8)
        for (std::size_t k = 0; k < 8; ++k) lanes[k] += c[j + k] * x[j + k];
    return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
}

}  // namespace pedal::dsp
