// The noise gate and the safety limiter: what they promise about levels, and
// that their gains never step.
#include <cmath>
#include <random>
#include <vector>

#include "check.h"
#include "dsp/limiter.h"
#include "dsp/noise_gate.h"

using namespace pedal::dsp;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kRate = 48000.0;

std::vector<float> sine(double freq, double amplitude, std::size_t frames, std::size_t offset = 0) {
    std::vector<float> x(frames);
    for (std::size_t i = 0; i < frames; ++i)
        x[i] = static_cast<float>(amplitude * std::sin(2.0 * kPi * freq * static_cast<double>(i + offset) / kRate));
    return x;
}

std::vector<float> concat(std::vector<float> a, const std::vector<float> &b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

double rms(const float *x, std::size_t n) {
    double sum = 0.0;
    for (std::size_t i = 0; i < n; ++i) sum += static_cast<double>(x[i]) * x[i];
    return std::sqrt(sum / static_cast<double>(n));
}

std::vector<float> run(NoiseGate &gate, const std::vector<float> &x, std::size_t block = 64) {
    std::vector<float> y(x.size());
    for (std::size_t i = 0; i < x.size(); i += block) gate.process(x.data() + i, y.data() + i, std::min(block, x.size() - i));
    return y;
}

std::vector<float> run(Limiter &limiter, const std::vector<float> &x, std::size_t block = 64) {
    std::vector<float> y(x.size());
    for (std::size_t i = 0; i < x.size(); i += block)
        limiter.process(x.data() + i, y.data() + i, std::min(block, x.size() - i));
    return y;
}

// The gate the tests use (not copyable: its settings are atomics).
void configure(NoiseGate &gate) {
    gate.set_threshold_db(-40.0f);  // opens at 0.01
    gate.set_hysteresis_db(6.0f);   // closes below 0.005
    gate.set_attack_ms(1.0f);       // 48 samples
    gate.set_hold_ms(20.0f);        // 960 samples
    gate.set_release_ms(50.0f);     // 2400 samples
    gate.prepare(kRate);
}

}  // namespace

PEDAL_TEST(noise_gate_passes_a_note_above_threshold_at_unity) {
    NoiseGate gate;
    configure(gate);
    const auto x = sine(220.0, 0.1, 9600);  // -20 dBFS
    const auto y = run(gate, x);
    // The envelope crosses -40 dBFS 4 samples in; 1 ms (48 samples) of attack
    // later the gain is exactly 1 and the note is untouched.
    for (std::size_t i = 4 + 48; i < x.size(); ++i)
        if (y[i] != x[i]) {
            CHECK_EQ(y[i], x[i]);
            break;
        }
    CHECK(gate.is_open());
}

PEDAL_TEST(noise_gate_silences_noise_below_threshold_after_the_release) {
    // A note, then hiss at -52 dBFS (below the -46 dBFS closing level).
    NoiseGate gate;
    configure(gate);
    std::mt19937 random(1);
    std::uniform_real_distribution<float> hiss(-0.0025f, 0.0025f);
    std::vector<float> noise(24000);
    for (float &v : noise) v = hiss(random);
    const auto x = concat(sine(110.0, 0.3, 4800), noise);
    const auto y = run(gate, x);
    // Detector fall to -46 dBFS (~100 ms), hold 20 ms, release 50 ms: within 200 ms.
    const std::size_t after = 4800 + 9600;
    const double in_rms = rms(x.data() + after, x.size() - after), out_rms = rms(y.data() + after, y.size() - after);
    CHECK(out_rms <= in_rms * 1e-3);  // >= 60 dB down; in fact exactly silent
    CHECK_EQ(out_rms, 0.0);
    CHECK(!gate.is_open());
}

PEDAL_TEST(noise_gate_gain_glides_no_faster_than_attack_and_release) {
    // Steady levels make out/in the gain itself. Loud, quiet, loud, quiet...
    NoiseGate gate;
    configure(gate);
    std::vector<float> x;
    for (int burst = 0; burst < 6; ++burst) x.insert(x.end(), 3000 + 700 * burst, burst % 2 ? 0.001f : 0.5f);
    const auto y = run(gate, x, 37);
    double previous = 0.0, worst = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double g = y[i] / x[i];
        worst = std::max(worst, std::fabs(g - previous));
        previous = g;
    }
    CHECK(worst <= 1.0 / 48.0 + 1e-6);  // the attack's step; the release's is 1/2400
    CHECK(worst >= 1.0 / 48.0 - 1e-6);  // and it did open
}

PEDAL_TEST(noise_gate_hysteresis_and_hold_keep_a_fading_note_open) {
    NoiseGate gate;
    configure(gate);
    // Between the closing (-46) and opening (-40 dBFS) levels: a closed gate stays closed...
    run(gate, sine(220.0, 0.007, 4800));
    CHECK(!gate.is_open());
    CHECK_EQ(gate.gain(), 0.0f);
    // ...and an open one stays open, at unity.
    run(gate, sine(220.0, 0.5, 4800));
    const auto y = run(gate, sine(220.0, 0.007, 24000));
    CHECK(gate.is_open());
    CHECK_EQ(gate.gain(), 1.0f);
    // Hold: after the note stops dead, the gain stays 1 for the hold time
    // (20 ms) past the detector's fall below -46 dBFS, then releases.
    NoiseGate held;
    configure(held);
    const auto x = concat(sine(220.0, 0.5, 4800), std::vector<float>(9600, 0.0f));
    std::vector<float> tail(x.size());
    std::size_t closed_at = 0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        held.process(&x[i], &tail[i], 1);
        if (!held.is_open() && closed_at == 0 && i > 4800) closed_at = i;
    }
    // The last peak of |x| is a quarter period (54.5 samples) before the stop;
    // from it the envelope 0.5 e^(-t / 20 ms) reaches 0.005 after 92 ms (4421
    // samples), and 960 held samples later the gate closes.
    const std::size_t expected = 4800 - 54 + 4421 + 960;
    CHECK(closed_at + 3 >= expected && closed_at <= expected + 3);
}

PEDAL_TEST(noise_gate_treats_non_finite_samples_as_silence) {
    NoiseGate gate;
    configure(gate);
    auto x = sine(220.0, 0.1, 4800);
    x[1000] = NAN;
    x[2000] = INFINITY;
    const auto y = run(gate, x);
    CHECK_EQ(y[1000], 0.0f);
    CHECK_EQ(y[2000], 0.0f);
    for (std::size_t i = 2001; i < x.size(); ++i)
        if (y[i] != x[i]) {
            CHECK_EQ(y[i], x[i]);
            break;
        }
}

PEDAL_TEST(noise_gate_settings_are_picked_up_at_the_next_block) {
    NoiseGate gate;
    configure(gate);
    const auto x = sine(220.0, 0.02, 4800);  // -34 dBFS: above -40
    run(gate, x);
    CHECK(gate.is_open());
    gate.set_threshold_db(-20.0f);  // now the note is under the closing level
    run(gate, x);
    CHECK(!gate.is_open());
}

PEDAL_TEST(limiter_never_exceeds_the_ceiling) {
    Limiter limiter;
    limiter.prepare(kRate);
    const float ceiling = static_cast<float>(std::pow(10.0, -0.3 / 20.0));
    std::mt19937 random(3);
    std::normal_distribution<float> noise(0.0f, 3.0f);  // ~ +10 dB RMS over full scale
    std::vector<float> x(48000);
    for (float &v : x) v = noise(random);
    for (std::size_t i = 100; i < x.size(); i += 4999) x[i] = (i % 2 ? 1.0f : -1.0f) * 100.0f;  // +40 dB spikes
    const auto y = run(limiter, x, 100);
    float peak = 0.0f;
    for (float v : y) peak = std::max(peak, std::fabs(v));
    CHECK(peak <= ceiling);
    CHECK(peak >= ceiling * 0.99f);  // and it does not throw away more than needed
}

PEDAL_TEST(limiter_passes_quiet_audio_untouched_after_its_latency) {
    Limiter limiter;
    limiter.prepare(kRate, 1.0);
    CHECK_EQ(limiter.latency(), std::size_t{48});
    auto x = sine(440.0, 0.9, 4800);  // peaks below -0.3 dBFS
    x[1000] = 0.95f;                  // an impulse-like marker
    const auto y = run(limiter, x, 77);
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float expected = i < 48 ? 0.0f : x[i - 48];
        if (y[i] != expected) {
            CHECK_EQ(y[i], expected);
            break;
        }
    }
}

PEDAL_TEST(limiter_gain_fades_in_over_the_lookahead_and_releases) {
    // Steady levels: out / delayed in is the gain. 0.5 -> 4.0 -> 0.5.
    Limiter limiter;
    limiter.prepare(kRate, 1.0);
    limiter.set_release_ms(20.0f);
    std::vector<float> x(4800, 0.5f);
    x.insert(x.end(), 4800, 4.0f);
    x.insert(x.end(), 24000, 0.5f);
    const auto y = run(limiter, x, 64);
    const std::size_t latency = limiter.latency();
    double previous = 1.0, worst = 0.0;
    for (std::size_t i = latency; i < x.size(); ++i) {
        const double g = y[i] / x[i - latency];
        worst = std::max(worst, std::fabs(g - previous));
        previous = g;
    }
    CHECK(worst <= 1.0 / 49.0 + 1e-6);  // box filter of W = 49: at most 1/W per sample
    const double ceiling = std::pow(10.0, -0.3 / 20.0);
    CHECK_NEAR(y[4800 + latency + 100] / 4.0, ceiling / 4.0, 1e-6);  // the loud part sits at the ceiling
    CHECK_EQ(y.back(), 0.5f);  // released back to exactly unity (21 release time constants)
}

PEDAL_TEST(limiter_output_stays_finite_through_nan_and_inf) {
    Limiter limiter;
    limiter.prepare(kRate);
    auto x = sine(440.0, 0.5, 4800);
    x[100] = NAN;
    x[200] = INFINITY;
    x[300] = -INFINITY;
    const auto y = run(limiter, x);
    for (float v : y) CHECK(std::isfinite(v) && std::fabs(v) <= 1.0f);
    CHECK_EQ(y[100 + limiter.latency()], 0.0f);
    CHECK_EQ(y[4000], x[4000 - limiter.latency()]);  // gain never dropped: inf counts as silence
}
