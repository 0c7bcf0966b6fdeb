// The convolver against the definition y[n] = sum_k h[k] x[n-k], computed
// directly in double: any IR length, any call sizes, no latency.
#include <cmath>
#include <complex>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "check.h"
#include "test_support.h"
#include "dsp/convolver.h"
#include "dsp/impulse_response.h"

using namespace pedal::dsp;

using pedal::test::random_signal;

namespace {

constexpr double kPi = 3.14159265358979323846;

// A cabinet-like IR: decaying noise, unit energy.
std::vector<float> random_ir(std::size_t frames, unsigned seed) {
    std::mt19937 random(seed);
    std::normal_distribution<double> noise;
    std::vector<double> h(frames);
    double energy = 0.0;
    for (std::size_t i = 0; i < frames; ++i) {
        h[i] = noise(random) * std::exp(-4.0 * static_cast<double>(i) / static_cast<double>(frames));
        energy += h[i] * h[i];
    }
    std::vector<float> out(frames);
    for (std::size_t i = 0; i < frames; ++i) out[i] = static_cast<float>(h[i] / std::sqrt(energy));
    return out;
}


std::vector<double> direct_convolution(const std::vector<float> &h, const std::vector<float> &x) {
    std::vector<double> y(x.size(), 0.0);
    for (std::size_t n = 0; n < x.size(); ++n)
        for (std::size_t k = 0; k < h.size() && k <= n; ++k) y[n] += static_cast<double>(h[k]) * x[n - k];
    return y;
}

std::vector<float> convolve(Convolver &c, const std::vector<float> &x, const std::vector<std::size_t> &blocks) {
    std::vector<float> y(x.size());
    std::size_t next = 0;
    for (std::size_t i = 0; i < x.size();) {
        const std::size_t n = std::min(blocks[next++ % blocks.size()], x.size() - i);
        c.process(x.data() + i, y.data() + i, n);
        i += n;
    }
    return y;
}

double max_error(const std::vector<float> &y, const std::vector<double> &reference) {
    double worst = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double d = std::fabs(y[i] - reference[i]);
        if (!(d <= worst)) worst = d;
    }
    return worst;
}

}  // namespace

PEDAL_TEST(convolver_matches_direct_convolution_for_any_ir_and_block_sizes) {
    const auto x = random_signal(4000, 1);
    std::mt19937 random(4);
    for (std::size_t partition : {32u, 64u, 256u}) {
        for (std::size_t length : {1u, 7u, 32u, 64u, 65u, 500u, 2500u}) {
            const auto h = random_ir(length, static_cast<unsigned>(length));
            ImpulseResponse ir;
            CHECK(ir.prepare(h.data(), h.size(), 48000, 48000, partition, 48000));
            const auto reference = direct_convolution(h, x);
            std::vector<std::size_t> mixed;
            for (int i = 0; i < 50; ++i) mixed.push_back(1 + random() % (3 * partition));
            // Whole partitions (the FFT path), single samples (the direct path), and a mix.
            for (const auto &blocks : {std::vector<std::size_t>{partition}, std::vector<std::size_t>{1}, mixed}) {
                Convolver c;
                CHECK(c.prepare(partition, 48000));
                CHECK(c.set_ir(&ir));
                const double error = max_error(convolve(c, x, blocks), reference);
                // float32 FFTs and sums against double: outputs are O(1) (unit-energy IR).
                if (!(error <= 1e-5))
                    pedal::test::fail(__FILE__, __LINE__, "partition " + std::to_string(partition) + ", IR " +
                                                              std::to_string(length) + ", blocks of " +
                                                              std::to_string(blocks[0]) + "..: error " +
                                                              std::to_string(error));
            }
        }
    }
}

PEDAL_TEST(convolver_adds_no_latency) {
    // A unit impulse IR reproduces the input from the very first sample.
    const float one = 1.0f;
    ImpulseResponse identity;
    CHECK(identity.prepare(&one, 1, 48000, 48000, 64, 48000));
    const auto x = random_signal(1000, 2);
    for (std::size_t block : {1u, 13u, 64u, 200u}) {
        Convolver c;
        c.prepare(64, 48000);
        c.set_ir(&identity);
        const auto y = convolve(c, x, {block});
        double error = 0.0;
        for (std::size_t i = 0; i < x.size(); ++i) error = std::max(error, std::fabs(static_cast<double>(y[i]) - x[i]));
        CHECK(error <= 1e-6);
    }
}

PEDAL_TEST(convolver_switches_ir_at_a_partition_boundary_with_full_history) {
    // The FDL holds input spectra, not IR products: after the switch the output
    // is the new IR convolved with all the input, as if it had always been set.
    const auto x = random_signal(4000, 3);
    const auto a = random_ir(700, 5), b = random_ir(1500, 6);
    ImpulseResponse ir_a, ir_b;
    ir_a.prepare(a.data(), a.size(), 48000, 48000, 64, 4800);
    ir_b.prepare(b.data(), b.size(), 48000, 48000, 64, 4800);
    Convolver c;
    c.prepare(64, 4800);
    c.set_ir(&ir_a);
    std::vector<float> y(x.size());
    c.process(x.data(), y.data(), 2000);  // 31.25 partitions
    c.set_ir(&ir_b);
    c.process(x.data() + 2000, y.data() + 2000, 2000);
    const auto with_a = direct_convolution(a, x), with_b = direct_convolution(b, x);
    // Samples up to the next boundary (2048) still use A; from there, B.
    double error_a = 0.0, error_b = 0.0;
    for (std::size_t i = 0; i < 2048; ++i) error_a = std::max(error_a, std::fabs(y[i] - with_a[i]));
    for (std::size_t i = 2048; i < x.size(); ++i) error_b = std::max(error_b, std::fabs(y[i] - with_b[i]));
    CHECK(error_a <= 1e-5);
    CHECK(error_b <= 1e-5);
}

// What a crossfade from `from` to `to` starting at frame `start` over `fade`
// frames gives: the linear slide the convolver promises.
std::vector<double> faded(const std::vector<double> &from, const std::vector<double> &to, std::size_t start,
                          std::size_t fade) {
    std::vector<double> y(from.size());
    for (std::size_t i = 0; i < y.size(); ++i) {
        const double g = i < start ? 0.0 : std::min(1.0, static_cast<double>(i - start + 1) / static_cast<double>(fade));
        y[i] = g * to[i] + (1.0 - g) * from[i];
    }
    return y;
}

PEDAL_TEST(convolver_crossfades_a_change_of_ir_from_the_next_partition_boundary) {
    const auto x = random_signal(5000, 3);
    const auto a = random_ir(700, 5), b = random_ir(1500, 6);
    ImpulseResponse ir_a, ir_b;
    ir_a.prepare(a.data(), a.size(), 48000, 48000, 64, 4800);
    ir_b.prepare(b.data(), b.size(), 48000, 48000, 64, 4800);
    const auto with_a = direct_convolution(a, x), with_b = direct_convolution(b, x);
    // Calls that straddle partitions (the direct path) and whole aligned ones (the FFT path).
    const std::vector<std::pair<std::size_t, std::vector<std::size_t>>> plays = {
        {2000, {64}}, {2000, {37, 100, 5}}, {2048, {64}}, {2048, {128, 64}}};
    for (const auto &[first, blocks] : plays) {
        Convolver c;
        c.prepare(64, 4800, 960);
        c.set_ir(&ir_a);
        std::vector<float> y(x.size());
        c.process(x.data(), y.data(), first);  // to within a partition of the boundary at 2048
        c.set_ir(&ir_b);
        CHECK(c.changing());
        std::vector<float> rest(x.begin() + static_cast<long>(first), x.end());
        const auto tail = convolve(c, rest, blocks);
        std::copy(tail.begin(), tail.end(), y.begin() + static_cast<long>(first));
        CHECK(max_error(y, faded(with_a, with_b, 2048, 960)) <= 1e-5);  // A to the boundary, then the slide to B
        CHECK(!c.changing());
    }
}

PEDAL_TEST(convolver_fades_to_and_from_no_ir_as_a_pass_through) {
    const auto x = random_signal(4000, 8);
    const auto a = random_ir(300, 9);
    ImpulseResponse ir_a;
    ir_a.prepare(a.data(), a.size(), 48000, 48000, 64, 4800);
    std::vector<double> dry(x.begin(), x.end());
    const auto wet = direct_convolution(a, x);
    Convolver c;
    c.prepare(64, 4800, 500);
    std::vector<float> y(x.size());
    c.process(x.data(), y.data(), 1000);          // no IR yet: the signal itself
    c.set_ir(&ir_a);
    c.process(x.data() + 1000, y.data() + 1000, 1500);
    c.set_ir(nullptr);                            // the fade in ends at 1024 + 500, before this
    c.process(x.data() + 2500, y.data() + 2500, 1500);
    const auto in = faded(dry, wet, 1024, 500), out = faded(wet, dry, 2560, 500);
    std::vector<double> expected(in.begin(), in.begin() + 2560);
    expected.insert(expected.end(), out.begin() + 2560, out.end());
    CHECK(max_error(y, expected) <= 1e-5);
}

PEDAL_TEST(convolver_without_ir_passes_through_and_refuses_mismatched_irs) {
    Convolver c;
    CHECK(c.prepare(64, 1000));
    const auto x = random_signal(300, 7);
    CHECK(convolve(c, x, {64, 5}) == x);
    const auto h = random_ir(2000, 8);
    ImpulseResponse too_long, other_partition;
    CHECK(too_long.prepare(h.data(), h.size(), 48000, 48000, 64, 48000));
    CHECK(other_partition.prepare(h.data(), 500, 48000, 48000, 128, 48000));
    CHECK(!c.set_ir(&too_long));
    CHECK(!c.set_ir(&other_partition));
    CHECK(!c.prepare(48, 1000));  // not a power of two
}

PEDAL_TEST(impulse_response_refuses_bad_input_and_cuts_with_a_fade) {
    ImpulseResponse ir;
    const float bad[] = {1.0f, NAN, 0.5f};
    CHECK(!ir.prepare(bad, 3, 48000, 48000, 64, 100));
    CHECK(!ir.prepare(bad, 0, 48000, 48000, 64, 100));
    const auto h = random_ir(1000, 9);
    CHECK(!ir.prepare(h.data(), h.size(), 48000, 48000, 100, 100));
    CHECK(ir.prepare(h.data(), h.size(), 48000, 48000, 64, 400));
    CHECK_EQ(ir.frames(), std::size_t{400});
    CHECK_EQ(ir.partitions(), std::size_t{7});
    CHECK_EQ(ir.samples().back(), 0.0f);  // faded to nothing at the cut
    CHECK_EQ(ir.samples()[0], h[0]);
}

namespace {

// H(f) of `taps` at `rate`, delayed by `delay` seconds.
std::complex<double> response(const std::vector<float> &taps, double freq, double rate, double delay = 0.0) {
    std::complex<double> sum;
    for (std::size_t k = 0; k < taps.size(); ++k)
        sum += static_cast<double>(taps[k]) * std::polar(1.0, -2.0 * kPi * freq * static_cast<double>(k) / rate);
    return sum * std::polar(1.0, -2.0 * kPi * freq * delay);
}

// The worst complex deviation of `resampled` (48 kHz) from `original` (44.1 kHz)
// up to `top` Hz, relative to the original's RMS response: the error in dB.
double response_error_db(const std::vector<float> &resampled, std::size_t lead, const std::vector<float> &original,
                         double top) {
    double energy = 0.0, worst = 0.0;
    int count = 0;
    for (double f = 250.0; f <= top; f += 250.0) {
        const auto reference = response(original, f, 44100.0, static_cast<double>(lead) / 48000.0);
        energy += std::norm(reference);
        ++count;
        worst = std::max(worst, std::abs(response(resampled, f, 48000.0) - reference));
    }
    return 20.0 * std::log10(worst / std::sqrt(energy / count));
}

}  // namespace

PEDAL_TEST(impulse_response_resampled_to_the_engine_rate_keeps_its_response) {
    // A 44.1 kHz IR used at 48 kHz. With 40 samples of leading silence nothing
    // of the interpolation filter's pre-ringing is lost: the response is kept
    // within -70 dB up to 18 kHz, with no delay added.
    std::vector<float> silent_start(40, 0.0f);
    const auto body = random_ir(1500, 10);
    silent_start.insert(silent_start.end(), body.begin(), body.end());
    ImpulseResponse ir;
    CHECK(ir.prepare(silent_start.data(), silent_start.size(), 44100, 48000, 64, 48000));
    CHECK_EQ(ir.lead(), std::size_t{0});
    CHECK(ir.frames() >= silent_start.size() * 48000 / 44100);
    CHECK(response_error_db(ir.samples(), 0, silent_start, 18000.0) <= -70.0);

    // Loud from its first sample: keeping 24 samples of pre-ringing (a delay of
    // 24 samples) keeps it exact; dropping them costs what the header says.
    ImpulseResponse kept, dropped;
    CHECK(kept.prepare(body.data(), body.size(), 44100, 48000, 64, 48000, 24));
    CHECK_EQ(kept.lead(), std::size_t{24});
    CHECK(response_error_db(kept.samples(), 24, body, 18000.0) <= -70.0);
    CHECK(dropped.prepare(body.data(), body.size(), 44100, 48000, 64, 48000));
    CHECK(response_error_db(dropped.samples(), 0, body, 10000.0) <= -30.0);
    CHECK(response_error_db(dropped.samples(), 0, body, 18000.0) <= -20.0);
}

PEDAL_TEST(convolver_treats_non_finite_input_as_silence) {
    const auto h = random_ir(300, 11);
    ImpulseResponse ir;
    ir.prepare(h.data(), h.size(), 48000, 48000, 32, 1000);
    auto x = random_signal(2000, 12);
    auto silenced = x;
    x[100] = NAN;
    x[700] = INFINITY;
    silenced[100] = silenced[700] = 0.0f;
    Convolver a, b;
    a.prepare(32, 1000);
    b.prepare(32, 1000);
    a.set_ir(&ir);
    b.set_ir(&ir);
    CHECK(convolve(a, x, {32, 7}) == convolve(b, silenced, {32, 7}));
}
