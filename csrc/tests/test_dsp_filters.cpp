// Biquads, the tone stack and the DC blocker: responses measured with sines
// against the analytic formulas, plus the safety properties every recursive
// block owes the engine (no denormals in a decay, no NaN that stays).
#include <cfloat>
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "test_support.h"
#include "dsp/biquad.h"
#include "dsp/dc_blocker.h"
#include "dsp/tone_eq.h"

using namespace pedal::dsp;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kRate = 48000.0;

// sin/cos of sample `i` of a `freq` tone.
double phase(double freq, std::size_t i, double rate) { return 2.0 * kPi * freq * static_cast<double>(i) / rate; }

// The gain a block applies to a sine at `freq` (a multiple of 10 Hz, so the
// 0.1 s window holds whole cycles and the projection is exact), in dB. The first
// 0.1 s lets the filters settle.
template <class Block>
double sine_gain_db(Block &&process, double freq, double rate = kRate) {
    const std::size_t window = static_cast<std::size_t>(rate / 10.0), settle = window;
    std::vector<float> x(settle + window), y(settle + window);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(0.5 * std::sin(phase(freq, i, rate)));
    process(x.data(), y.data(), x.size());
    double s = 0.0, c = 0.0;
    for (std::size_t i = settle; i < x.size(); ++i) {
        s += y[i] * std::sin(phase(freq, i, rate));
        c += y[i] * std::cos(phase(freq, i, rate));
    }
    return 20.0 * std::log10(2.0 / static_cast<double>(window) * std::hypot(s, c) / 0.5);
}

double db(double gain) { return 20.0 * std::log10(gain); }

const double kProbeHz[] = {20, 50, 100, 200, 400, 800, 1600, 3200, 6400, 12000, 18000};

// A burst of noise, then silence: the decay every recursive filter must survive.
std::vector<float> burst_then_silence(std::size_t burst, std::size_t silence) {
    std::vector<float> x = pedal::test::random_signal(burst, 5);
    x.resize(burst + silence, 0.0f);
    return x;
}

// True when no sample is a subnormal float (zero is fine).
bool no_subnormals(const std::vector<float> &y) {
    for (float v : y)
        if (std::fpclassify(v) == FP_SUBNORMAL) return false;
    return true;
}

}  // namespace

PEDAL_TEST(rbj_designs_meet_their_defining_gains) {
    // The cookbook's promises, checked on the analytic response.
    const auto low = rbj::low_shelf(kRate, 100.0, 12.0);
    CHECK_NEAR(db(magnitude(low, 0.0, kRate)), 12.0, 1e-9);
    CHECK_NEAR(db(magnitude(low, 100.0, kRate)), 6.0, 1e-9);  // half the shelf at the corner
    CHECK_NEAR(db(magnitude(low, 24000.0, kRate)), 0.0, 1e-9);
    const auto high = rbj::high_shelf(kRate, 3200.0, -9.0);
    CHECK_NEAR(db(magnitude(high, 24000.0, kRate)), -9.0, 1e-9);
    CHECK_NEAR(db(magnitude(high, 3200.0, kRate)), -4.5, 1e-9);
    CHECK_NEAR(db(magnitude(high, 0.0, kRate)), 0.0, 1e-9);
    const auto peak = rbj::peaking(kRate, 800.0, -15.0, 0.7);
    CHECK_NEAR(db(magnitude(peak, 800.0, kRate)), -15.0, 1e-9);
    CHECK_NEAR(db(magnitude(peak, 0.0, kRate)), 0.0, 1e-9);
    const auto cut = rbj::high_pass(kRate, 80.0);
    CHECK_NEAR(db(magnitude(cut, 80.0, kRate)), -3.0103, 1e-4);
    CHECK(magnitude(cut, 0.0, kRate) < 1e-12);
}

PEDAL_TEST(biquad_sine_gains_match_the_analytic_response) {
    const BiquadCoefficients designs[] = {rbj::low_shelf(kRate, 100.0, 15.0), rbj::high_shelf(kRate, 3200.0, -15.0),
                                          rbj::peaking(kRate, 800.0, 9.0, 0.7), rbj::high_pass(kRate, 60.0)};
    for (const auto &c : designs) {
        for (double f : kProbeHz) {
            Biquad filter;
            filter.set(c);
            const double measured = sine_gain_db([&](const float *x, float *y, std::size_t n) { filter.process(x, y, n); }, f);
            CHECK_NEAR(measured, db(magnitude(c, f, kRate)), 0.05);
        }
    }
}

PEDAL_TEST(tone_eq_bands_add_up_to_the_designed_response) {
    const float settings[][3] = {{12.0f, -9.0f, 6.0f}, {-15.0f, 15.0f, -15.0f}, {15.0f, 0.0f, 15.0f}};
    for (const auto &s : settings) {
        for (double f : kProbeHz) {
            ToneEq tone;
            tone.set_bass_db(s[0]);
            tone.set_mid_db(s[1]);
            tone.set_treble_db(s[2]);
            tone.prepare(kRate);  // prepare snaps to the knobs, so no glide here
            const double measured = sine_gain_db([&](const float *x, float *y, std::size_t n) { tone.process(x, y, n); }, f);
            CHECK_NEAR(measured, tone.response_db(f), 0.05);
        }
        // The analytic reference itself: each band where it is defined.
        ToneEq tone;
        tone.set_bass_db(s[0]);
        tone.set_mid_db(s[1]);
        tone.set_treble_db(s[2]);
        tone.prepare(kRate);
        const double bass_alone = db(magnitude(rbj::low_shelf(kRate, 100.0, s[0]), 20.0, kRate));
        CHECK(std::fabs(bass_alone - s[0]) < 0.6);  // a 100 Hz shelf is nearly complete at 20 Hz
    }
}

PEDAL_TEST(tone_eq_at_zero_db_passes_the_signal_through) {
    ToneEq tone;
    tone.prepare(kRate);
    const auto x = burst_then_silence(9000, 1000);
    std::vector<float> y(x.size());
    tone.process(x.data(), y.data(), 4000);
    tone.process(x.data() + 4000, y.data() + 4000, x.size() - 4000);
    double error = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) error = std::max(error, std::fabs(static_cast<double>(y[i]) - x[i]));
    CHECK(error <= 1e-6);
}

PEDAL_TEST(tone_eq_knob_moves_glide_without_clicks) {
    // A sine at each band's frequency while its knob jumps 0 -> +15 dB inside
    // one long block. A steady sine obeys y[n] = 2 cos(w) y[n-1] - y[n-2] whatever
    // its amplitude, so the residual of that prediction is what a click (a
    // step) adds. Switching the treble at once leaves a residual of 57% of the
    // amplitude (stepping the coefficients every 32 samples: 12%); the glide
    // stays below 0.25% (measured) in every band.
    struct Band {
        double freq;
        void (ToneEq::*knob)(float);
    };
    for (const Band band : {Band{100.0, &ToneEq::set_bass_db}, Band{800.0, &ToneEq::set_mid_db},
                            Band{3200.0, &ToneEq::set_treble_db}}) {
        const std::size_t n = 9600;
        std::vector<float> x(n), y(n);
        for (std::size_t i = 0; i < n; ++i) x[i] = static_cast<float>(0.1 * std::sin(phase(band.freq, i, kRate)));
        ToneEq tone;
        tone.prepare(kRate);
        tone.process(x.data(), y.data(), 2400);
        (tone.*band.knob)(15.0f);
        tone.process(x.data() + 2400, y.data() + 2400, n - 2400);
        const double two_cos = 2.0 * std::cos(phase(band.freq, 1, kRate));
        double residual = 0.0, amplitude = 0.0;
        for (std::size_t i = 2; i < n; ++i) {
            residual = std::max(residual, std::fabs(y[i] - two_cos * y[i - 1] + y[i - 2]));
            amplitude = std::max(amplitude, std::fabs(static_cast<double>(y[i])));
        }
        CHECK(residual <= 0.005 * amplitude);
        ToneEq reference;
        (reference.*band.knob)(15.0f);
        reference.prepare(kRate);
        CHECK_NEAR(tone.response_db(band.freq), reference.response_db(band.freq), 1e-9);  // the glide has ended
    }
}

PEDAL_TEST(dc_blocker_removes_dc_and_passes_the_guitar_band) {
    DcBlocker blocker;
    blocker.prepare(kRate, 5.0);
    std::vector<float> dc(96000, 0.5f), y(dc.size());
    blocker.process(dc.data(), y.data(), dc.size());
    CHECK(std::fabs(y.back()) < 1e-4);  // 2 s: 0.5 * e^(-2 pi 5 * 2) ~ 2e-28, so only rounding is left
    for (double f : {50.0, 100.0, 1000.0, 10000.0}) {
        DcBlocker b;
        b.prepare(kRate, 5.0);
        CHECK_NEAR(sine_gain_db([&](const float *in, float *out, std::size_t n) { b.process(in, out, n); }, f), 0.0, 0.05);
    }
}

PEDAL_TEST(recursive_filters_decay_to_exact_silence_without_denormals) {
    // 3 s of silence after a burst: the DC blocker's 5 Hz pole alone would take
    // 2.2 s to fall below 1e-30 and then through the subnormals.
    const auto x = burst_then_silence(480, 144000);
    std::vector<float> y(x.size());
    Biquad shelf;
    shelf.set(rbj::low_shelf(kRate, 100.0, 15.0));
    shelf.process(x.data(), y.data(), x.size());
    CHECK(no_subnormals(y));
    CHECK_EQ(y.back(), 0.0f);
    ToneEq tone;
    tone.set_bass_db(15.0f);
    tone.set_treble_db(-15.0f);
    tone.prepare(kRate);
    for (std::size_t i = 0; i < x.size(); i += 1000) tone.process(x.data() + i, y.data() + i, std::min<std::size_t>(1000, x.size() - i));
    CHECK(no_subnormals(y));
    CHECK_EQ(y.back(), 0.0f);
    DcBlocker blocker;
    blocker.prepare(kRate);
    blocker.process(x.data(), y.data(), x.size());
    CHECK(no_subnormals(y));
    CHECK_EQ(y.back(), 0.0f);
}

PEDAL_TEST(recursive_filters_recover_from_non_finite_input) {
    // A block holding NaN or Inf may come out bad; the next block must be exactly
    // what a freshly reset filter gives.
    auto clean = burst_then_silence(256, 0);
    for (float poison : {NAN, INFINITY, -INFINITY}) {
        auto bad = clean;
        bad[100] = poison;
        std::vector<float> y(256), fresh(256);

        Biquad shelf, shelf_fresh;
        shelf.set(rbj::high_shelf(kRate, 3200.0, 6.0));
        shelf_fresh.set(shelf.coefficients());
        shelf.process(bad.data(), y.data(), 256);
        shelf.process(clean.data(), y.data(), 256);
        shelf_fresh.process(clean.data(), fresh.data(), 256);
        CHECK(y == fresh);

        ToneEq tone, tone_fresh;
        tone.set_mid_db(9.0f);
        tone_fresh.set_mid_db(9.0f);
        tone.prepare(kRate);
        tone_fresh.prepare(kRate);
        tone.process(bad.data(), y.data(), 256);
        tone.process(clean.data(), y.data(), 256);
        tone_fresh.process(clean.data(), fresh.data(), 256);
        CHECK(y == fresh);

        DcBlocker blocker, blocker_fresh;
        blocker.prepare(kRate);
        blocker_fresh.prepare(kRate);
        blocker.process(bad.data(), y.data(), 256);
        blocker.process(clean.data(), y.data(), 256);
        blocker_fresh.process(clean.data(), fresh.data(), 256);
        CHECK(y == fresh);
    }
}
