// RealFft against the defining sum X[k] = sum x[n] e^(-2 pi i k n / N), in double.
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "test_support.h"
#include "dsp/fft.h"

using pedal::dsp::RealFft;

using pedal::test::random_signal;

namespace {

constexpr double kPi = 3.14159265358979323846;

struct Spectrum {
    std::vector<double> re, im;
};

// e^(-2 pi i m / n) for m < n, each from its own angle: exact to ~1e-16.
struct Roots {
    std::vector<double> cos, sin;
    explicit Roots(std::size_t n) : cos(n), sin(n) {
        for (std::size_t m = 0; m < n; ++m) {
            const double angle = -2.0 * kPi * static_cast<double>(m) / static_cast<double>(n);
            cos[m] = std::cos(angle);
            sin[m] = std::sin(angle);
        }
    }
};

Spectrum direct_dft(const std::vector<float> &x) {
    const std::size_t n = x.size();
    const Roots w(n);
    Spectrum s{std::vector<double>(n / 2 + 1), std::vector<double>(n / 2 + 1)};
    for (std::size_t k = 0; k <= n / 2; ++k) {
        for (std::size_t t = 0; t < n; ++t) {
            s.re[k] += x[t] * w.cos[(k * t) % n];
            s.im[k] += x[t] * w.sin[(k * t) % n];
        }
    }
    return s;
}


}  // namespace

PEDAL_TEST(fft_forward_matches_the_direct_dft) {
    for (std::size_t n = 2; n <= 2048; n *= 2) {
        RealFft fft;
        CHECK(fft.prepare(n));
        CHECK_EQ(fft.bins(), n / 2 + 1);
        const auto x = random_signal(n, static_cast<unsigned>(n));
        std::vector<float> re(fft.bins()), im(fft.bins());
        fft.forward(x.data(), re.data(), im.data());
        const Spectrum reference = direct_dft(x);
        double peak = 0.0, error = 0.0;
        for (std::size_t k = 0; k < fft.bins(); ++k) {
            peak = std::max(peak, std::hypot(reference.re[k], reference.im[k]));
            error = std::max(error, std::hypot(re[k] - reference.re[k], im[k] - reference.im[k]));
        }
        // float32 butterflies: rounding grows like sqrt(log2 N) * 6e-8 of the peak.
        if (!(error <= 1e-5 * peak))
            pedal::test::fail(__FILE__, __LINE__, "size " + std::to_string(n) + ": relative error " +
                                                      std::to_string(error / peak));
        CHECK_EQ(im[0], 0.0f);
        CHECK_EQ(im[n / 2], 0.0f);
    }
}

PEDAL_TEST(fft_inverse_matches_the_direct_inverse_sum) {
    // A random Hermitian spectrum, synthesised by the defining inverse sum.
    for (std::size_t n : {4u, 64u, 512u}) {
        RealFft fft;
        CHECK(fft.prepare(n));
        const auto re = random_signal(n / 2 + 1, 7);
        auto im = random_signal(n / 2 + 1, 8);
        im[0] = im[n / 2] = 0.0f;
        std::vector<float> x(n);
        fft.inverse(re.data(), im.data(), x.data());
        const Roots w(n);
        double error = 0.0;
        for (std::size_t t = 0; t < n; ++t) {
            double sum = re[0] + re[n / 2] * ((t % 2) ? -1.0 : 1.0);
            for (std::size_t k = 1; k < n / 2; ++k)  // e^(+i a) = conj e^(-i a)
                sum += 2.0 * (re[k] * w.cos[(k * t) % n] + im[k] * w.sin[(k * t) % n]);
            error = std::max(error, std::fabs(x[t] - sum / static_cast<double>(n)));
        }
        CHECK(error <= 1e-6);  // values are O(1/sqrt(n)); float rounding
    }
}

PEDAL_TEST(fft_round_trip_restores_the_signal) {
    for (std::size_t n = 2; n <= 8192; n *= 2) {
        RealFft fft;
        CHECK(fft.prepare(n));
        const auto x = random_signal(n, 3);
        std::vector<float> re(fft.bins()), im(fft.bins()), back(n);
        fft.forward(x.data(), re.data(), im.data());
        fft.inverse(re.data(), im.data(), back.data());
        double error = 0.0;
        for (std::size_t t = 0; t < n; ++t) error = std::max(error, std::fabs(static_cast<double>(back[t]) - x[t]));
        CHECK(error <= 1e-5);
    }
}

PEDAL_TEST(fft_refuses_sizes_that_are_not_powers_of_two) {
    RealFft fft;
    CHECK(!fft.prepare(0));
    CHECK(!fft.prepare(1));
    CHECK(!fft.prepare(96));
    CHECK(fft.prepare(128));
}
