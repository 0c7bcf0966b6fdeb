// RateBridge: card-rate blocks through a model-rate middle and back, the same
// number of frames out as in, a constant whole number of samples late.
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "dsp/rate_bridge.h"

using pedal::dsp::RateBridge;

namespace {

constexpr double kPi = 3.14159265358979323846;

// Tones from 80 Hz to 17 kHz: inside the converters' flat band.
std::vector<float> band_limited(unsigned rate, std::size_t frames) {
    const double tones[] = {82.4, 440.0, 1234.5, 5000.0, 9876.0, 17000.0};
    std::vector<float> x(frames);
    for (std::size_t i = 0; i < frames; ++i) {
        double v = 0.0;
        for (double f : tones) v += 0.15 * std::sin(2.0 * kPi * f * static_cast<double>(i) / rate + f);
        x[i] = static_cast<float>(v);
    }
    return x;
}

// Runs `x` through the bridge in the given block sizes (cycled), the middle
// untouched (an identity "model"). Checks that every block comes back whole.
std::vector<float> round_trip(RateBridge &bridge, const std::vector<float> &x, const std::vector<std::size_t> &blocks) {
    std::vector<float> y(x.size());
    std::size_t next = 0;
    for (std::size_t i = 0; i < x.size();) {
        const std::size_t n = std::min(blocks[next++ % blocks.size()], x.size() - i);
        const std::size_t m = bridge.to_inner(x.data() + i, n);
        CHECK(m <= bridge.max_inner_frames());
        bridge.from_inner(y.data() + i, n);
        i += n;
    }
    return y;
}

std::vector<std::size_t> random_blocks(std::size_t max_block, unsigned seed) {
    std::mt19937 random(seed);
    std::vector<std::size_t> blocks;
    for (int i = 0; i < 100; ++i) blocks.push_back(1 + random() % max_block);
    return blocks;
}

struct Pair {
    unsigned outer, inner;
};

}  // namespace

PEDAL_TEST(rate_bridge_returns_the_input_delayed_by_its_latency) {
    for (Pair p : {Pair{48000, 44100}, Pair{44100, 48000}, Pair{48000, 96000}, Pair{96000, 48000}}) {
        RateBridge bridge;
        CHECK(bridge.prepare(p.outer, p.inner, 256));
        const auto x = band_limited(p.outer, 24000);
        const auto y = round_trip(bridge, x, random_blocks(256, p.inner));
        const std::size_t d = bridge.latency();
        double error = 0.0;
        for (std::size_t i = d + 500; i < x.size(); ++i) error = std::max(error, std::fabs(static_cast<double>(y[i]) - x[i - d]));
        // Two passes at <= 0.001 dB ripple and >= 93 dB stop band, on a 0.9 peak signal.
        if (!(error <= 2e-4))
            pedal::test::fail(__FILE__, __LINE__, std::to_string(p.outer) + " via " + std::to_string(p.inner) +
                                                      ": max error " + std::to_string(error));
    }
}

PEDAL_TEST(rate_bridge_latency_is_the_cross_correlation_peak) {
    // White noise through the round trip: the output correlates best with the
    // input exactly latency() samples earlier.
    for (Pair p : {Pair{48000, 44100}, Pair{44100, 48000}}) {
        RateBridge bridge;
        CHECK(bridge.prepare(p.outer, p.inner, 128));
        std::mt19937 random(2);
        std::normal_distribution<float> noise(0.0f, 0.3f);
        std::vector<float> x(8000);
        for (float &v : x) v = noise(random);
        const auto y = round_trip(bridge, x, {128});
        std::size_t best = 0;
        double best_value = 0.0;
        for (std::size_t lag = 0; lag < 200; ++lag) {
            double sum = 0.0;
            for (std::size_t i = lag; i < x.size(); ++i) sum += static_cast<double>(y[i]) * x[i - lag];
            if (sum > best_value) {
                best_value = sum;
                best = lag;
            }
        }
        CHECK_EQ(best, bridge.latency());
        CHECK(bridge.latency() >= 40 && bridge.latency() <= 80);  // ~1.4 ms for the whole round trip
    }
}

PEDAL_TEST(rate_bridge_output_does_not_depend_on_block_sizes) {
    RateBridge a, b, c;
    for (RateBridge *bridge : {&a, &b, &c}) CHECK(bridge->prepare(44100, 48000, 512));
    const auto x = band_limited(44100, 20000);
    const auto reference = round_trip(a, x, {64});
    CHECK(round_trip(b, x, {1, 512, 7, 300}) == reference);  // bit for bit
    CHECK(round_trip(c, x, random_blocks(512, 9)) == reference);
    c.reset();
    CHECK(round_trip(c, x, {33}) == reference);
}

PEDAL_TEST(rate_bridge_at_equal_rates_is_a_plain_copy) {
    RateBridge bridge;
    CHECK(bridge.prepare(48000, 48000, 64));
    CHECK_EQ(bridge.latency(), std::size_t{0});
    const auto x = band_limited(48000, 1000);
    CHECK(round_trip(bridge, x, {64, 3, 17}) == x);
}
