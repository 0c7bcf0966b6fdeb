#include "dsp/biquad.h"

#include <cmath>
#include <complex>

#include "dsp/flush.h"

namespace pedal::dsp {

namespace {

constexpr double kPi = 3.14159265358979323846;

BiquadCoefficients normalised(double b0, double b1, double b2, double a0, double a1, double a2) {
    return {b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0};
}

// The cookbook's intermediate values for one design.
struct Angle {
    double cos_w0, alpha;
    Angle(double rate, double freq, double q) {
        const double w0 = 2.0 * kPi * freq / rate;
        cos_w0 = std::cos(w0);
        alpha = std::sin(w0) / (2.0 * q);
    }
};

// One sample of the transposed direct form II, its state in s1 and s2.
inline float tick(double x, double b0, double b1, double b2, double a1, double a2, double &s1, double &s2) {
    const double y = flush_tiny(b0 * x + s1);
    s1 = b1 * x - a1 * y + s2;
    s2 = b2 * x - a2 * y;
    return static_cast<float>(y);
}

}  // namespace

double magnitude(const BiquadCoefficients &c, double freq, double rate) {
    const std::complex<double> z1 = std::polar(1.0, -2.0 * kPi * freq / rate);  // z^-1
    const std::complex<double> z2 = z1 * z1;
    return std::abs((c.b0 + c.b1 * z1 + c.b2 * z2) / (1.0 + c.a1 * z1 + c.a2 * z2));
}

namespace rbj {

BiquadCoefficients low_shelf(double rate, double freq, double gain_db, double q) {
    const Angle w(rate, freq, q);
    const double a = std::pow(10.0, gain_db / 40.0), root = 2.0 * std::sqrt(a) * w.alpha;
    return normalised(a * ((a + 1.0) - (a - 1.0) * w.cos_w0 + root), 2.0 * a * ((a - 1.0) - (a + 1.0) * w.cos_w0),
                      a * ((a + 1.0) - (a - 1.0) * w.cos_w0 - root), (a + 1.0) + (a - 1.0) * w.cos_w0 + root,
                      -2.0 * ((a - 1.0) + (a + 1.0) * w.cos_w0), (a + 1.0) + (a - 1.0) * w.cos_w0 - root);
}

BiquadCoefficients high_shelf(double rate, double freq, double gain_db, double q) {
    const Angle w(rate, freq, q);
    const double a = std::pow(10.0, gain_db / 40.0), root = 2.0 * std::sqrt(a) * w.alpha;
    return normalised(a * ((a + 1.0) + (a - 1.0) * w.cos_w0 + root), -2.0 * a * ((a - 1.0) + (a + 1.0) * w.cos_w0),
                      a * ((a + 1.0) + (a - 1.0) * w.cos_w0 - root), (a + 1.0) - (a - 1.0) * w.cos_w0 + root,
                      2.0 * ((a - 1.0) - (a + 1.0) * w.cos_w0), (a + 1.0) - (a - 1.0) * w.cos_w0 - root);
}

BiquadCoefficients peaking(double rate, double freq, double gain_db, double q) {
    const Angle w(rate, freq, q);
    const double a = std::pow(10.0, gain_db / 40.0);
    return normalised(1.0 + w.alpha * a, -2.0 * w.cos_w0, 1.0 - w.alpha * a, 1.0 + w.alpha / a, -2.0 * w.cos_w0,
                      1.0 - w.alpha / a);
}

BiquadCoefficients high_pass(double rate, double freq, double q) {
    const Angle w(rate, freq, q);
    const double b = (1.0 + w.cos_w0) / 2.0;
    return normalised(b, -2.0 * b, b, 1.0 + w.alpha, -2.0 * w.cos_w0, 1.0 - w.alpha);
}

}  // namespace rbj

void Biquad::keep_state(double s1, double s2) noexcept {
    if (!all_finite(s1, s2)) s1 = s2 = 0.0;  // a NaN or infinity went in: start again from rest
    s1_ = s1;
    s2_ = s2;
}

void Biquad::process(const float *in, float *out, std::size_t frames) noexcept {
    const double b0 = c_.b0, b1 = c_.b1, b2 = c_.b2, a1 = c_.a1, a2 = c_.a2;
    double s1 = s1_, s2 = s2_;
    for (std::size_t i = 0; i < frames; ++i) out[i] = tick(in[i], b0, b1, b2, a1, a2, s1, s2);
    keep_state(s1, s2);
}

void Biquad::process(const float *in, float *out, std::size_t frames, const BiquadCoefficients &end) noexcept {
    if (frames == 0) return;
    const double step = 1.0 / static_cast<double>(frames);
    const double db0 = (end.b0 - c_.b0) * step, db1 = (end.b1 - c_.b1) * step, db2 = (end.b2 - c_.b2) * step,
                 da1 = (end.a1 - c_.a1) * step, da2 = (end.a2 - c_.a2) * step;
    double b0 = c_.b0, b1 = c_.b1, b2 = c_.b2, a1 = c_.a1, a2 = c_.a2;
    double s1 = s1_, s2 = s2_;
    for (std::size_t i = 0; i < frames; ++i) {
        b0 += db0;
        b1 += db1;
        b2 += db2;
        a1 += da1;
        a2 += da2;
        out[i] = tick(in[i], b0, b1, b2, a1, a2, s1, s2);
    }
    keep_state(s1, s2);
    c_ = end;
}

}  // namespace pedal::dsp
