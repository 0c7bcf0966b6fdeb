// The resampler measured as a converter is judged: pure tones in, spectra out
// (our RealFft, Blackman-Harris window). Flat passband, images and aliases far
// down, the latency it reports, and streaming that does not depend on blocks.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "test_support.h"
#include "dsp/fft.h"
#include "dsp/resampler.h"

using namespace pedal::dsp;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr std::size_t kFftSize = 8192;

struct Rates {
    unsigned in, out;
};

std::string name(Rates r) { return std::to_string(r.in) + " -> " + std::to_string(r.out); }

std::vector<float> tone(double freq, unsigned rate, std::size_t frames, double amplitude = 0.5) {
    std::vector<float> x(frames);
    for (std::size_t i = 0; i < frames; ++i)
        x[i] = static_cast<float>(amplitude * std::sin(2.0 * kPi * freq * static_cast<double>(i) / rate));
    return x;
}

std::vector<float> resample(Resampler &r, const std::vector<float> &x, std::size_t block) {
    std::vector<float> y(r.max_output_frames(x.size()) + block);
    std::size_t produced = 0;
    for (std::size_t i = 0; i < x.size(); i += block) {
        const std::size_t n = std::min(block, x.size() - i);
        const std::size_t made = r.process(x.data() + i, n, y.data() + produced);
        CHECK(made <= r.max_output_frames(n));
        produced += made;
    }
    y.resize(produced);
    return y;
}

// What a tone at `freq` becomes: its gain (dB) and the strongest other
// component anywhere in the output band (dB relative to the input tone).
struct ToneResult {
    double gain_db, spur_db;
};

ToneResult measure(Rates rates, double freq) {
    Resampler r;
    r.prepare(rates.in, rates.out, 512);
    const std::size_t skip = 2 * r.taps_per_phase() + 64;  // past the start-up transient
    const std::size_t needed = (skip + kFftSize) * rates.in / rates.out + 2 * r.taps_per_phase();
    const auto y = resample(r, tone(freq, rates.in, needed), 512);

    // 4-term Blackman-Harris: side lobes at -92 dB, main lobe +-4 bins.
    std::vector<float> windowed(kFftSize);
    double window_sum = 0.0;
    for (std::size_t i = 0; i < kFftSize; ++i) {
        const double t = 2.0 * kPi * static_cast<double>(i) / kFftSize;
        const double w = 0.35875 - 0.48829 * std::cos(t) + 0.14128 * std::cos(2 * t) - 0.01168 * std::cos(3 * t);
        window_sum += w;
        windowed[i] = static_cast<float>(y[skip + i] * w);
    }
    RealFft fft;
    fft.prepare(kFftSize);
    std::vector<float> re(fft.bins()), im(fft.bins());
    fft.forward(windowed.data(), re.data(), im.data());

    // Amplitude per bin; exact for a tone on a bin centre.
    auto amplitude = [&](std::size_t k) { return 2.0 * std::hypot(re[k], im[k]) / window_sum / 0.5; };
    const double bin = freq * kFftSize / rates.out;
    const bool audible = freq < 0.5 * rates.out;
    double spur = 0.0;
    for (std::size_t k = 0; k < fft.bins(); ++k)
        if (!audible || std::fabs(static_cast<double>(k) - bin) > 6.0) spur = std::max(spur, amplitude(k));
    const double gain = audible ? amplitude(static_cast<std::size_t>(std::lround(bin))) : 0.0;
    return {20.0 * std::log10(gain), 20.0 * std::log10(spur + 1e-30)};
}

// `hz` moved onto the nearest bin centre of the output spectrum.
double on_bin(double hz, unsigned out_rate) {
    return std::round(hz * kFftSize / out_rate) * out_rate / static_cast<double>(kFftSize);
}

}  // namespace

PEDAL_TEST(resampler_44k1_48k_is_flat_to_18khz_with_images_and_aliases_below_80db) {
    for (Rates rates : {Rates{44100, 48000}, Rates{48000, 44100}}) {
        // Passband: flat within 0.1 dB, and nothing else above -80 dB.
        for (double hz : {40.0, 100.0, 440.0, 1000.0, 2500.0, 5000.0, 8000.0, 11000.0, 14000.0, 16000.0, 17000.0, 18000.0}) {
            const ToneResult r = measure(rates, on_bin(hz, rates.out));
            if (!(std::fabs(r.gain_db) <= 0.1 && r.spur_db <= -80.0))
                pedal::test::fail(__FILE__, __LINE__, name(rates) + " at " + std::to_string(hz) + " Hz: gain " +
                                                          std::to_string(r.gain_db) + " dB, spur " +
                                                          std::to_string(r.spur_db) + " dB");
        }
        // Transition band and beyond the output's Nyquist: whatever comes out,
        // no image or alias above -80 dB.
        for (double hz : {19500.0, 21000.0, 22000.0, 22100.0, 23000.0, 23900.0}) {
            if (hz >= 0.5 * rates.in) continue;
            const ToneResult r = measure(rates, on_bin(hz, rates.out));
            if (!(r.spur_db <= -80.0))
                pedal::test::fail(__FILE__, __LINE__, name(rates) + " at " + std::to_string(hz) + " Hz: spur " +
                                                          std::to_string(r.spur_db) + " dB");
        }
    }
}

PEDAL_TEST(resampler_other_ratios_keep_the_same_promises) {
    for (Rates rates : {Rates{48000, 96000}, Rates{96000, 48000}, Rates{32000, 48000}, Rates{48000, 32000},
                        Rates{44100, 88200}}) {
        const double nyquist = 0.5 * std::min(rates.in, rates.out);
        for (double fraction : {0.01, 0.5, 0.8}) {
            const ToneResult r = measure(rates, on_bin(fraction * nyquist, rates.out));
            if (!(std::fabs(r.gain_db) <= 0.1 && r.spur_db <= -80.0))
                pedal::test::fail(__FILE__, __LINE__, name(rates) + " at " + std::to_string(fraction) +
                                                          " Nyquist: gain " + std::to_string(r.gain_db) + ", spur " +
                                                          std::to_string(r.spur_db));
        }
        // Down-sampling: a tone above the output's Nyquist frequency is an alias to remove.
        if (1.05 * nyquist < 0.5 * rates.in) CHECK(measure(rates, on_bin(1.05 * nyquist, rates.out)).spur_db <= -80.0);
    }
}

PEDAL_TEST(resampler_latency_is_where_an_impulse_comes_out) {
    // An impulse at an input sample that falls on an output sample (n L / M
    // whole) comes out as the filter's symmetric response centred exactly
    // latency() samples later.
    for (Rates rates : {Rates{44100, 48000}, Rates{48000, 44100}, Rates{48000, 96000}, Rates{96000, 48000}}) {
        Resampler r;
        CHECK(r.prepare(rates.in, rates.out, 256));
        const double latency = r.latency();
        CHECK_EQ(latency, std::floor(latency));
        const std::size_t at = 3 * r.down();  // output 3 L
        std::vector<float> x(at + 4 * r.taps_per_phase() * r.down() / r.up() + 600, 0.0f);
        x[at] = 1.0f;
        const auto y = resample(r, x, 100);
        std::size_t peak = 0;
        for (std::size_t k = 0; k < y.size(); ++k)
            if (std::fabs(y[k]) > std::fabs(y[peak])) peak = k;
        const std::size_t centre = 3 * r.up() + static_cast<std::size_t>(latency);
        if (peak != centre)
            pedal::test::fail(__FILE__, __LINE__, name(rates) + ": peak at " + std::to_string(peak) + ", expected " +
                                                      std::to_string(centre));
        for (std::size_t i = 1; i <= static_cast<std::size_t>(latency) && i <= centre; ++i)
            CHECK_NEAR(y[centre + i], y[centre - i], 1e-7);
    }
}

PEDAL_TEST(resampler_44k1_48k_latency_is_a_few_dozen_samples) {
    Resampler up, down;
    CHECK(up.prepare(44100, 48000, 64));
    CHECK(down.prepare(48000, 44100, 64));
    CHECK(up.latency() >= 20.0 && up.latency() <= 40.0);  // ~0.7 ms: Kaiser, 90 dB, 18 -> 22.05 kHz
    CHECK(down.latency() >= 20.0 && down.latency() <= 40.0);
}

PEDAL_TEST(resampler_streams_identically_in_any_block_sizes) {
    for (Rates rates : {Rates{44100, 48000}, Rates{48000, 44100}, Rates{32000, 48000}}) {
        const std::vector<float> x = pedal::test::random_signal(20000, 11);
        Resampler whole;
        whole.prepare(rates.in, rates.out, x.size());
        const auto reference = resample(whole, x, x.size());
        CHECK(reference.size() + 1 >= whole.max_output_frames(x.size()));

        Resampler streamed;
        streamed.prepare(rates.in, rates.out, 300);  // calls above 300 are split inside
        std::vector<float> y(reference.size() + 1000);
        std::size_t produced = 0;
        for (std::size_t i = 0; i < x.size();) {
            const std::size_t n = std::min<std::size_t>(random() % 700, x.size() - i);
            produced += streamed.process(x.data() + i, n, y.data() + produced);
            i += n;
        }
        y.resize(produced);
        CHECK(y == reference);  // bit for bit
        streamed.reset();
        CHECK(resample(streamed, x, 64) == reference);
    }
}

PEDAL_TEST(resampler_equal_rates_copy_without_latency) {
    Resampler same;
    CHECK(same.prepare(48000, 48000, 64));
    CHECK_EQ(same.latency(), 0.0);
    const auto x = tone(1000.0, 48000, 500);
    CHECK(resample(same, x, 37) == x);
}

PEDAL_TEST(resampler_refuses_rates_out_of_bounds) {
    Resampler r;
    CHECK(!r.prepare(0, 48000, 64));
    CHECK(!r.prepare(48000, 48000, 0));
    CHECK(!r.prepare(44100, 47999, 64));  // reduced factors beyond kMaxFactor
    CHECK(!r.prepare(8000, 192000, 64));  // ratio 24
    CHECK(r.prepare(44100, 48000, 64));
    CHECK(!r.align_latency(r.min_latency_ticks() - 1));
}

PEDAL_TEST(resampler_treats_non_finite_input_as_silence) {
    Resampler r;
    r.prepare(44100, 48000, 64);
    auto x = tone(1000.0, 44100, 2000);
    x[500] = NAN;
    x[900] = INFINITY;
    const auto y = resample(r, x, 64);
    bool finite = true;
    for (float v : y) finite = finite && std::isfinite(v);
    CHECK(finite);
}
