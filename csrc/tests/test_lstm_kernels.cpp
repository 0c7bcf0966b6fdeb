// Every compile-time-sized LSTM kernel gives the generic kernel's samples, so
// a model plays the same whichever path its shape takes, and both follow the
// textbook LSTM.
#include <cmath>
#include <random>

#include "check.h"
#include "test_support.h"
#include "layers/lstm.h"

using pedal::layers::Lstm;
using pedal::test::random_values;

namespace {

// The equations, one frame and one unit at a time, in double precision.
struct TextbookLstm {
    std::size_t inputs, hidden;
    std::vector<float> weights, bias;  // [(inputs + hidden)][4 * hidden], [4 * hidden]
    std::vector<double> h, c;

    std::vector<double> step(const float *x) {
        const std::size_t width = 4 * hidden;
        std::vector<double> z(width);
        for (std::size_t g = 0; g < width; ++g) {
            double sum = bias[g];
            for (std::size_t r = 0; r < inputs; ++r) sum += double(weights[r * width + g]) * x[r];
            for (std::size_t j = 0; j < hidden; ++j) sum += double(weights[(inputs + j) * width + g]) * h[j];
            z[g] = sum;
        }
        auto sigmoid = [](double v) { return 1.0 / (1.0 + std::exp(-v)); };
        for (std::size_t u = 0; u < hidden; ++u) {
            c[u] = sigmoid(z[hidden + u]) * c[u] + sigmoid(z[u]) * std::tanh(z[2 * hidden + u]);
            h[u] = sigmoid(z[3 * hidden + u]) * std::tanh(c[u]);
        }
        return h;
    }
};

}  // namespace

PEDAL_TEST(specialised_lstm_kernels_equal_the_generic_kernel_and_the_textbook) {
    std::mt19937 random(11);
    const std::size_t shapes[][2] = {{1, 8},  {1, 12}, {1, 16}, {1, 20}, {1, 24}, {1, 32}, {1, 40},
                                     {8, 8},  {16, 16}, {2, 16}, {2, 20}, {2, 40}, {3, 5},  {1, 6}};
    int specialised = 0;
    for (const auto &shape : shapes) {
        const std::size_t inputs = shape[0], hidden = shape[1], width = 4 * hidden;
        std::vector<float> weights = random_values((inputs + hidden) * width, random);
        for (float &w : weights) w *= 0.5f;
        const std::vector<float> bias = random_values(width, random);
        const std::vector<float> initial_h = random_values(hidden, random), initial_c = random_values(hidden, random);
        Lstm fast(inputs, hidden, weights, bias, initial_h, initial_c);
        Lstm generic(inputs, hidden, weights, bias, initial_h, initial_c);
        TextbookLstm textbook{inputs, hidden, weights, bias, {initial_h.begin(), initial_h.end()},
                              {initial_c.begin(), initial_c.end()}};
        specialised += fast.specialised();
        double worst = 0.0;
        for (std::size_t frames : {37, 1, 64, 0, 5}) {  // state carries across calls
            const std::vector<float> x = random_values(frames * inputs, random);
            std::vector<float> h_fast(frames * hidden), h_generic(frames * hidden);
            fast.process(x.data(), frames, h_fast.data());
            generic.process_generic(x.data(), frames, h_generic.data());
            CHECK(h_fast == h_generic);
            for (std::size_t t = 0; t < frames; ++t) {
                const std::vector<double> expected = textbook.step(x.data() + t * inputs);
                for (std::size_t u = 0; u < hidden; ++u)
                    worst = std::max(worst, std::fabs(h_fast[t * hidden + u] - expected[u]));
            }
        }
        CHECK(worst <= 2e-5);
    }
    CHECK_EQ(specialised, 12);  // the common shapes really take the fast path
}

PEDAL_TEST(lstm_reset_returns_to_the_initial_state) {
    std::mt19937 random(12);
    const std::size_t hidden = 16;
    Lstm lstm(1, hidden, random_values(17 * 64, random), random_values(64, random), random_values(hidden, random),
              random_values(hidden, random));
    const std::vector<float> x = random_values(20, random);
    std::vector<float> first(20 * hidden), again(20 * hidden);
    lstm.process(x.data(), 20, first.data());
    lstm.reset();
    lstm.process(x.data(), 20, again.data());
    CHECK(first == again);
}
