// Every compile-time-sized convolution kernel gives the generic kernel's
// samples, so a model plays the same whichever path its shape takes.
#include <cmath>
#include <random>

#include "check.h"
#include "test_support.h"
#include "layers/conv1d.h"
#include "layers/dot.h"

using pedal::layers::Conv1d;

using pedal::test::random_values;

PEDAL_TEST(specialised_conv_kernels_equal_the_generic_kernel) {
    std::mt19937 random(3);
    const std::size_t shapes[][2] = {{16, 32}, {16, 16}, {16, 8}, {1, 16}, {12, 24}, {8, 16}, {8, 8}, {4, 8},
                                     {12, 12}, {12, 6},  {8, 4},  {4, 4},  {4, 2},   {2, 2},  {8, 1}, {5, 10},
                                     {3, 3},   {1, 1}};
    int specialised = 0;
    for (const auto &shape : shapes) {
        for (std::size_t kernel : {1, 2, 3}) {
            const std::size_t in = shape[0], out = shape[1], dilation = 3, frames = 37;
            Conv1d conv(in, out, kernel, dilation, random_values(kernel * in * out, random), random_values(out, random));
            const std::size_t lookback = conv.lookback();
            const std::vector<float> input = random_values((lookback + frames) * in, random);
            std::vector<float> fast(frames * out), generic(frames * out);
            conv.process(input.data() + lookback * in, frames, fast.data());
            conv.process_generic(input.data() + lookback * in, frames, generic.data());
            CHECK(fast == generic);
            specialised += conv.specialised();

            // With a residual addend and a mixin channel folded in (a NAM layer).
            const std::vector<float> addend = random_values(frames * out, random);
            const std::vector<float> mix_signal = random_values(frames, random);
            const std::vector<float> mix_weights = random_values(out, random);
            conv.process(input.data() + lookback * in, frames, fast.data(), addend.data(), mix_signal.data(),
                         mix_weights.data());
            conv.process_generic(input.data() + lookback * in, frames, generic.data(), addend.data(),
                                 mix_signal.data(), mix_weights.data());
            CHECK(fast == generic);
            std::vector<float> plain(frames * out);
            conv.process_generic(input.data() + lookback * in, frames, plain.data());
            for (std::size_t t = 0; t < frames; ++t)
                for (std::size_t c = 0; c < out; ++c) {
                    const float expected = plain[t * out + c] + addend[t * out + c] + mix_weights[c] * mix_signal[t];
                    CHECK(std::fabs(generic[t * out + c] - expected) <= 1e-5f);  // float32 re-association
                }
        }
    }
    CHECK(specialised >= 3 * 15);  // the common shapes really take the fast path
}

PEDAL_TEST(dense_heads_to_one_output_sum_across_lanes_within_float_rounding) {
    // An RTNeural recurrent network's linear head (hidden -> 1, one tap) is a
    // dot product per frame (layers/dot.h), summed in another order than the
    // generic kernel's; with more taps the shape takes the fixed kernel.
    std::mt19937 random(5);
    for (std::size_t in : {12, 16, 20, 24, 32, 40, 64}) {
        const std::size_t frames = 37;
        Conv1d head(in, 1, 1, 1, random_values(in, random), random_values(1, random));
        const std::vector<float> input = random_values(frames * in, random);
        std::vector<float> fast(frames), generic(frames);
        head.process(input.data(), frames, fast.data());
        head.process_generic(input.data(), frames, generic.data());
        CHECK(head.specialised());
        for (std::size_t t = 0; t < frames; ++t) CHECK(std::fabs(fast[t] - generic[t]) <= 1e-5f);

        Conv1d two_taps(in, 1, 2, 3, random_values(2 * in, random), random_values(1, random));
        const std::vector<float> history = random_values((3 + frames) * in, random);
        two_taps.process(history.data() + 3 * in, frames, fast.data());
        two_taps.process_generic(history.data() + 3 * in, frames, generic.data());
        CHECK(fast == generic);
    }
}

PEDAL_TEST(dot_sums_any_width_within_float_rounding_of_the_exact_sum) {
    std::mt19937 random(6);
    for (std::size_t width = 0; width <= 70; ++width) {
        const std::vector<float> x = random_values(width, random), w = random_values(width, random);
        double exact = 0.0, magnitude = 0.0;
        for (std::size_t i = 0; i < width; ++i) {
            exact += double(x[i]) * double(w[i]);
            magnitude += std::fabs(double(x[i]) * double(w[i]));
        }
        CHECK(std::fabs(double(pedal::layers::dot(x.data(), w.data(), width)) - exact) <= 1e-6 * magnitude + 1e-30);
    }
}
