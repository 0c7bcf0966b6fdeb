// The vectorisable exp/tanh/sigmoid against the standard library over the whole
// float range, walked by bit pattern (every 389th float: all exponents, both signs).
#include <cmath>
#include <limits>
#include <vector>

#include "check.h"
#include "engine/denormals.h"
#include "layers/fast_math.h"

using pedal::layers::exp_approx;
using pedal::layers::sigmoid_approx;
using pedal::layers::tanh_approx;
using pedal::layers::sigmoid_short;
using pedal::layers::tanh_short;
using pedal::layers::tanh_times_sigmoid;
using pedal::layers::tanh_times_sigmoid_short;

namespace {

template <typename Fn>
void for_sampled_floats(Fn &&fn) {
    for (std::uint64_t bits = 0; bits <= 0xFFFFFFFFull; bits += 389) {
        const float x = pedal::layers::detail::float_of(static_cast<std::uint32_t>(bits));
        if (std::isfinite(x)) fn(x);
    }
}

}  // namespace

PEDAL_TEST(tanh_approx_is_within_1e6_of_std_tanh_over_the_float_range) {
    double worst = 0.0, worst_short = 0.0;  // the exp form and the ratio form
    for_sampled_floats([&](float x) {
        const double exact = std::tanh(static_cast<double>(x));
        worst = std::max(worst, std::fabs(static_cast<double>(tanh_approx(x)) - exact));
        worst_short = std::max(worst_short, std::fabs(static_cast<double>(tanh_short(x)) - exact));
    });
    CHECK(worst <= 1e-6);
    CHECK(worst_short <= 1e-6);
}

PEDAL_TEST(sigmoid_approx_is_within_1e6_of_the_exact_sigmoid_over_the_float_range) {
    double worst = 0.0, worst_short = 0.0;
    for_sampled_floats([&](float x) {
        const double exact = 1.0 / (1.0 + std::exp(-static_cast<double>(x)));
        worst = std::max(worst, std::fabs(static_cast<double>(sigmoid_approx(x)) - exact));
        worst_short = std::max(worst_short, std::fabs(static_cast<double>(sigmoid_short(x)) - exact));
    });
    CHECK(worst <= 1e-6);
    CHECK(worst_short <= 1e-6);
}

PEDAL_TEST(the_fused_gate_is_within_1e6_of_tanh_times_sigmoid_over_the_float_range) {
    // Every 65,537th float for one argument against every 40,000,003rd for the
    // other, both ways round (all exponents and signs of both: 2 x 7M pairs),
    // then a dense grid where neither factor saturates.
    double worst = 0.0, worst_short = 0.0;
    auto check = [&](float a, float b) {
        const double exact = std::tanh(double(a)) / (1.0 + std::exp(-double(b)));
        worst = std::max(worst, std::fabs(double(tanh_times_sigmoid(a, b)) - exact));
        worst_short = std::max(worst_short, std::fabs(double(tanh_times_sigmoid_short(a, b)) - exact));
    };
    for (std::uint64_t outer = 0; outer <= 0xFFFFFFFFull; outer += 40000003) {
        const float other = pedal::layers::detail::float_of(static_cast<std::uint32_t>(outer));
        if (!std::isfinite(other)) continue;
        for (std::uint64_t inner = 0; inner <= 0xFFFFFFFFull; inner += 65537) {
            const float x = pedal::layers::detail::float_of(static_cast<std::uint32_t>(inner));
            if (!std::isfinite(x)) continue;
            check(x, other);
            check(other, x);
        }
    }
    for (float a = -12.0f; a <= 12.0f; a += 0.0137f)
        for (float b = -24.0f; b <= 24.0f; b += 0.0291f) check(a, b);
    CHECK(worst <= 1e-6);
    CHECK(worst_short <= 1e-6);
    CHECK(std::isnan(tanh_times_sigmoid(std::numeric_limits<float>::quiet_NaN(), 0.5f)));
    CHECK(std::isnan(tanh_times_sigmoid_short(std::numeric_limits<float>::quiet_NaN(), 0.5f)));
    CHECK(std::isnan(tanh_times_sigmoid_short(0.5f, std::numeric_limits<float>::quiet_NaN())));
    CHECK_EQ(tanh_times_sigmoid(0.0f, 3.0f), 0.0f);
    CHECK_EQ(tanh_times_sigmoid_short(0.0f, 3.0f), 0.0f);
}

PEDAL_TEST(exp_approx_has_float_relative_accuracy_where_it_does_not_clamp) {
    double worst = 0.0;
    for_sampled_floats([&](float x) {
        if (x < -87.0f || x > 88.0f) return;
        const double exact = std::exp(static_cast<double>(x));
        worst = std::max(worst, std::fabs(static_cast<double>(exp_approx(x)) - exact) / exact);
    });
    CHECK(worst <= 5e-7);
}

PEDAL_TEST(fast_math_saturates_and_propagates_nan) {
    CHECK_EQ(tanh_approx(1e30f), 1.0f);
    CHECK_EQ(tanh_approx(-1e30f), -1.0f);
    CHECK_EQ(tanh_approx(std::numeric_limits<float>::infinity()), 1.0f);
    CHECK(sigmoid_approx(-1e30f) >= 0.0f && sigmoid_approx(-1e30f) < 1e-37f);
    CHECK_EQ(sigmoid_approx(1e30f), 1.0f);
    CHECK(std::isnan(tanh_approx(std::numeric_limits<float>::quiet_NaN())));
    CHECK_EQ(tanh_approx(0.0f), 0.0f);
    // The ratio forms stop at tanh(9), within a float step of 1 (the exp forms reach it).
    const float inf = std::numeric_limits<float>::infinity();
    for (float big : {1e30f, inf}) {
        CHECK(std::fabs(tanh_short(big) - 1.0f) <= 1e-7f && tanh_short(big) <= 1.0f);
        CHECK(std::fabs(tanh_short(-big) + 1.0f) <= 1e-7f && tanh_short(-big) >= -1.0f);
        CHECK(std::fabs(sigmoid_short(big) - 1.0f) <= 1e-7f && sigmoid_short(big) <= 1.0f);
        CHECK(std::fabs(sigmoid_short(-big)) <= 1e-7f);  // may be 3e-8 below 0 (fast_math.h)
    }
    CHECK(std::isnan(tanh_short(std::numeric_limits<float>::quiet_NaN())));
    CHECK(std::isnan(sigmoid_short(std::numeric_limits<float>::quiet_NaN())));
    CHECK_EQ(tanh_short(0.0f), 0.0f);
}

#if PEDAL_VECTOR_MATH
// The kernels apply these functions to whole SIMD vectors; every lane must
// carry the scalar function's bits, so a block's samples do not depend on
// whether a value sat in a vector or in a loop's scalar tail. NaN and the
// infinities included (the vector clamp is an instruction, not a ternary).
PEDAL_TEST(whole_vector_activations_give_the_scalar_functions_bits_in_every_lane) {
    // As the core runs them: with subnormals flushed. 32-bit ARM's NEON always
    // flushes them while its scalar unit does not unless told to, and the
    // ratio forms' tanh(x) ~ x passes a subnormal x through. Even flushed, a
    // negative subnormal comes out of NEON's max as +0 and of the scalar
    // clamp as -0, so zeros of either sign count as the same.
    pedal::engine::DenormalsFlushed flushed;
    namespace simd = pedal::layers::simd;
    constexpr std::size_t kWidth = simd::kWidth;
    std::vector<float> values;
    for_sampled_floats([&](float x) { values.push_back(x); });
    for (float special : {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
                          -std::numeric_limits<float>::infinity(), 0.0f, -0.0f, 18.0f, -18.0f, 9.0f, -9.0f})
        values.push_back(special);
    while (values.size() % kWidth != 0) values.push_back(0.5f);
    auto same_bits = [](float a, float b) {
        return pedal::layers::detail::bits_of(a) == pedal::layers::detail::bits_of(b) || (std::isnan(a) && std::isnan(b)) ||
               (a == 0.0f && b == 0.0f);
    };
    std::size_t mismatches = 0;
    for (std::size_t i = 0; i < values.size(); i += kWidth) {
        simd::Vec a, b;
        simd::load(a, values.data() + i);
        simd::load(b, values.data() + (values.size() - kWidth - i));  // another value for the gate's second argument
        float tanh_lanes[kWidth], sigmoid_lanes[kWidth], exp_lanes[kWidth], gate_lanes[kWidth], fused_lanes[kWidth];
        float tanh_short_lanes[kWidth], sigmoid_short_lanes[kWidth], gate_short_lanes[kWidth];
        simd::store(tanh_short_lanes, tanh_short(a));
        simd::store(sigmoid_short_lanes, sigmoid_short(a));
        simd::store(gate_short_lanes, tanh_times_sigmoid_short(a, b));
        simd::store(tanh_lanes, tanh_approx(a));
        simd::store(sigmoid_lanes, sigmoid_approx(a));
        simd::store(exp_lanes, exp_approx(a));
        simd::store(gate_lanes, tanh_times_sigmoid(a, b));
        simd::store(fused_lanes, pedal::layers::tanh_times_sigmoid_of_exponents(a, b));
        for (std::size_t l = 0; l < kWidth; ++l) {
            const float x = values[i + l], y = values[values.size() - kWidth - i + l];
            mismatches += !same_bits(tanh_lanes[l], tanh_approx(x));
            mismatches += !same_bits(sigmoid_lanes[l], sigmoid_approx(x));
            mismatches += !same_bits(exp_lanes[l], exp_approx(x));
            mismatches += !same_bits(gate_lanes[l], tanh_times_sigmoid(x, y));
            mismatches += !same_bits(fused_lanes[l], pedal::layers::tanh_times_sigmoid_of_exponents(x, y));
            mismatches += !same_bits(tanh_short_lanes[l], tanh_short(x));
            mismatches += !same_bits(sigmoid_short_lanes[l], sigmoid_short(x));
            mismatches += !same_bits(gate_short_lanes[l], tanh_times_sigmoid_short(x, y));
        }
    }
    CHECK_EQ(mismatches, std::size_t{0});
    float nan_lanes[kWidth];
    simd::store(nan_lanes, tanh_approx(simd::Vec{} + std::numeric_limits<float>::quiet_NaN()));
    CHECK(std::isnan(nan_lanes[0]));
}
#endif
