// Smoothed: knob moves glide in a straight line, never faster than the ramp allows.
#include <cmath>
#include <vector>

#include "check.h"
#include "dsp/smoothed.h"

using pedal::dsp::Smoothed;

namespace {

constexpr double kRate = 48000.0;

double largest_jump(const std::vector<float> &values, float from) {
    double worst = 0.0;
    float previous = from;
    for (float v : values) {
        worst = std::max(worst, std::fabs(static_cast<double>(v) - previous));
        previous = v;
    }
    return worst;
}

}  // namespace

PEDAL_TEST(smoothed_step_glides_no_faster_than_the_shortest_ramp) {
    Smoothed gain(0.0f);
    gain.prepare(kRate, 1.0);  // asks for 1 ms: clamped to the 5 ms minimum
    gain.set_target(1.0f);
    std::vector<float> values;
    for (int i = 0; i < 1000; ++i) values.push_back(gain.next());
    // A unit step spread over 5 ms moves 1/240 per sample; 1% covers float rounding.
    const double bound = 1.0 / (0.005 * kRate) * 1.01;
    CHECK(largest_jump(values, 0.0f) <= bound);
    CHECK_EQ(values[239], 1.0f);  // reaches the target exactly after 5 ms
    CHECK_EQ(values.back(), 1.0f);
    CHECK(!gain.moving());
}

PEDAL_TEST(smoothed_ramp_is_linear_and_takes_the_ramp_time) {
    Smoothed level(2.0f);
    level.prepare(kRate, 20.0);  // 960 samples
    level.set_target(-2.0f);
    for (int i = 1; i <= 960; ++i) {
        const float v = level.next();
        CHECK_NEAR(v, 2.0 - 4.0 * i / 960.0, 1e-6);
    }
    CHECK_EQ(level.next(), -2.0f);
}

PEDAL_TEST(smoothed_retarget_mid_ramp_keeps_the_bound) {
    // Knob jiggled every 37 samples between the extremes: each new ramp starts
    // where the value is, so no step exceeds full range / ramp length.
    Smoothed gain(0.0f);
    gain.prepare(kRate, 5.0);
    std::vector<float> values;
    for (int i = 0; i < 5000; ++i) {
        if (i % 37 == 0) gain.set_target(i % 74 == 0 ? 10.0f : -10.0f);
        values.push_back(gain.next());
    }
    CHECK(largest_jump(values, 0.0f) <= 20.0 / 240.0 * 1.01);
}

PEDAL_TEST(smoothed_block_calls_follow_the_same_ramp_as_per_sample_calls) {
    Smoothed a(0.0f), b(0.0f), c(0.0f);
    for (Smoothed *s : {&a, &b, &c}) {
        s->prepare(kRate, 10.0);
        s->set_target(0.8f);
    }
    std::vector<float> ones(700, 1.0f);
    c.apply(ones.data(), 300);
    c.apply(ones.data() + 300, 400);
    for (int i = 0; i < 700; ++i) {
        const float per_sample = a.next();
        CHECK_NEAR(ones[i], per_sample, 1e-7);
    }
    CHECK_NEAR(b.skip(300), ones[299], 1e-7);
    CHECK_EQ(b.skip(10000), 0.8f);
}

PEDAL_TEST(smoothed_snap_jumps_and_ignores_non_finite_targets) {
    Smoothed gain(1.0f);
    gain.prepare(kRate);
    gain.set_target(0.25f);
    gain.snap();
    CHECK_EQ(gain.current(), 0.25f);
    CHECK(!gain.moving());
    gain.set_target(std::nanf(""));
    gain.set_target(INFINITY);
    CHECK_EQ(gain.target(), 0.25f);
    CHECK_EQ(gain.next(), 0.25f);
}
