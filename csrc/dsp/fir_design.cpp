#include "dsp/fir_design.h"

#include <algorithm>
#include <cmath>

namespace pedal::dsp::fir {

namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

double bessel_i0(double x) {
    // sum_k ((x/2)^k / k!)^2; terms shrink fast once k > x/2 (beta <= ~15 here).
    const double half = x / 2.0;
    double term = 1.0, sum = 1.0;
    for (int k = 1; k < 200; ++k) {
        term *= half / k;
        sum += term * term;
        if (term * term < sum * 1e-17) break;
    }
    return sum;
}

double kaiser_beta(double attenuation_db) {
    const double a = attenuation_db;
    if (a > 50.0) return 0.1102 * (a - 8.7);
    if (a >= 21.0) return 0.5842 * std::pow(a - 21.0, 0.4) + 0.07886 * (a - 21.0);
    return 0.0;
}

std::size_t kaiser_length(double attenuation_db, double transition) {
    const double taps = (attenuation_db - 7.95) / (2.285 * 2.0 * kPi * transition) + 1.0;
    return static_cast<std::size_t>(std::ceil(taps));
}

std::vector<double> kaiser_lowpass(std::size_t length, double cutoff, double beta) {
    std::vector<double> h(length);
    const double middle = static_cast<double>(length - 1) / 2.0;
    const double i0_beta = bessel_i0(beta);
    for (std::size_t i = 0; i < length; ++i) {
        const double t = static_cast<double>(i) - middle;
        const double sinc = t == 0.0 ? 2.0 * cutoff : std::sin(2.0 * kPi * cutoff * t) / (kPi * t);
        const double r = middle > 0.0 ? t / middle : 0.0;
        h[i] = sinc * bessel_i0(beta * std::sqrt(std::max(0.0, 1.0 - r * r))) / i0_beta;
    }
    return h;
}

}  // namespace pedal::dsp::fir
