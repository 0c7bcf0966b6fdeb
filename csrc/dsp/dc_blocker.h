// Removes DC and subsonic drift before the output: a one-pole high-pass,
//   y[n] = g (x[n] - x[n-1]) + R y[n-1],  R = exp(-2 pi fc / rate),  g = (1 + R) / 2,
// -3 dB near fc (5 Hz by default), 0 dB at Nyquist, within 0.05 dB from 50 Hz up.
// A model's bias or an asymmetric clipper can leave a DC offset that eats
// headroom and thumps when the chain is bypassed; 5 Hz is well below a drop-D
// low string (36.7 Hz).
//
// Denormal- and NaN-safe like the biquad (see flush.h); double state because
// R is within 1e-3 of 1.
#pragma once

#include <cmath>
#include <cstddef>

#include "dsp/flush.h"

namespace pedal::dsp {

class DcBlocker {
public:
    void prepare(double sample_rate, double cutoff_hz = 5.0) {
        r_ = std::exp(-2.0 * 3.14159265358979323846 * cutoff_hz / sample_rate);
        g_ = (1.0 + r_) / 2.0;
        reset();
    }

    void reset() noexcept { x1_ = y1_ = 0.0; }

    // Any frame count; in == out allowed; never allocates.
    void process(const float *in, float *out, std::size_t frames) noexcept {
        double x1 = x1_, y1 = y1_;
        for (std::size_t i = 0; i < frames; ++i) {
            const double x = in[i];
            y1 = flush_tiny(g_ * (x - x1) + r_ * y1);
            x1 = x;
            out[i] = static_cast<float>(y1);
        }
        if (!all_finite(x1, y1)) x1 = y1 = 0.0;
        x1_ = x1;
        y1_ = y1;
    }

private:
    double r_ = 0.0, g_ = 1.0;
    double x1_ = 0.0, y1_ = 0.0;
};

}  // namespace pedal::dsp
