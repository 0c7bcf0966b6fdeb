// Second-order IIR sections: the Audio EQ Cookbook designs (Robert Bristow-
// Johnson) and one filter running them in transposed direct form II.
//
// State and coefficients are double. A biquad is a serial recursion (each
// sample waits for the previous one), so on the Pi's Cortex-A72 double costs
// the same latency as float; in exchange, low corners such as a 100 Hz shelf
// at 48 kHz (poles within 1e-2 of z = 1) keep their response and do not add
// float-level noise or limit cycles.
#pragma once

#include <cstddef>

namespace pedal::dsp {

// a0 normalised to 1: y = b0 x + b1 x[-1] + b2 x[-2] - a1 y[-1] - a2 y[-2].
struct BiquadCoefficients {
    double b0 = 1.0, b1 = 0.0, b2 = 0.0, a1 = 0.0, a2 = 0.0;
};

// |H(e^(2 pi i freq / rate))|: the analytic response, for tests and displays.
double magnitude(const BiquadCoefficients &c, double freq, double rate);

namespace rbj {

// The quality factor of a maximally flat (Butterworth) response, also the
// shelf "slope 1" of the cookbook: the steepest shelf without overshoot.
constexpr double kButterworthQ = 0.70710678118654752;

// Gain `gain_db` below `freq` (half of it, in dB, at `freq`).
BiquadCoefficients low_shelf(double rate, double freq, double gain_db, double q = kButterworthQ);
// Gain `gain_db` above `freq` (half of it, in dB, at `freq`).
BiquadCoefficients high_shelf(double rate, double freq, double gain_db, double q = kButterworthQ);
// Gain `gain_db` at `freq`, bandwidth set by `q`; 0 dB far from it.
BiquadCoefficients peaking(double rate, double freq, double gain_db, double q);
// 12 dB/octave low cut; -3 dB at `freq` with the default q.
BiquadCoefficients high_pass(double rate, double freq, double q = kButterworthQ);

}  // namespace rbj

class Biquad {
public:
    // Takes effect from the next sample; the state is kept, so a coefficient
    // change once per small block (a smoothed knob) glides without clicks.
    void set(const BiquadCoefficients &c) noexcept { c_ = c; }
    const BiquadCoefficients &coefficients() const noexcept { return c_; }

    void reset() noexcept { s1_ = s2_ = 0.0; }

    // Any frame count; in == out allowed. Never allocates. Non-finite input: the
    // state restarts from zero at the end of the call (see flush.h).
    void process(const float *in, float *out, std::size_t frames) noexcept;

    // The same, with every coefficient moving in a straight line from the
    // current set to `end`, reached on the last sample. A moving knob designs
    // `end` once per short sub-block; stepping the coefficients instead would
    // step the direct path (b0) and buzz at the update rate.
    void process(const float *in, float *out, std::size_t frames, const BiquadCoefficients &end) noexcept;

private:
    // Keeps the state a block ended in, or rest when it is not finite.
    void keep_state(double s1, double s2) noexcept;

    BiquadCoefficients c_;
    double s1_ = 0.0, s2_ = 0.0;
};

}  // namespace pedal::dsp
