// One LSTM layer, stepped a frame at a time (the recurrence allows no more).
//
// Gates in PyTorch order i, f, g, o. Weights are kept [input + hidden][4H] so
// each input value scales one contiguous row of 4H gate pre-activations, the
// order the inner loop walks; loaders transpose from their file's layout.
//   z = b + W . [x ; h];  c = sigma(z_f) c + sigma(z_i) tanh(z_g);  h = sigma(z_o) tanh(c)
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "layers/fast_math.h"
#include "layers/matvec.h"

namespace pedal::layers {

class Lstm {
public:
    Lstm() = default;

    // weights: [(inputs + hidden)][4 * hidden]; bias: [4 * hidden] (already the
    // sum of PyTorch's bias_ih and bias_hh); initial states may be empty (zeros).
    Lstm(std::size_t inputs, std::size_t hidden, std::vector<float> weights, std::vector<float> bias,
         std::vector<float> initial_hidden = {}, std::vector<float> initial_cell = {})
        : inputs_(inputs), hidden_(hidden), weights_(std::move(weights)), bias_(std::move(bias)),
          initial_hidden_(std::move(initial_hidden)), initial_cell_(std::move(initial_cell)),
          state_(inputs + hidden, 0.0f), cell_(hidden, 0.0f), gates_(4 * hidden, 0.0f) {
        if (initial_hidden_.empty()) initial_hidden_.assign(hidden, 0.0f);
        if (initial_cell_.empty()) initial_cell_.assign(hidden, 0.0f);
        reset();
    }

    std::size_t inputs() const { return inputs_; }
    std::size_t hidden() const { return hidden_; }

    void reset() {
        std::copy(initial_hidden_.begin(), initial_hidden_.end(), state_.begin() + static_cast<std::ptrdiff_t>(inputs_));
        cell_ = initial_cell_;
    }

    // One frame: reads `inputs` values from x, returns the new hidden state (H values,
    // valid until the next step).
    const float *step(const float *x) {
        float *xh = state_.data();
        std::copy(x, x + inputs_, xh);
        float *z = gates_.data();
        matvec(xh, inputs_ + hidden_, weights_.data(), 4 * hidden_, bias_.data(), z);
        float *h = xh + inputs_;
        for (std::size_t u = 0; u < hidden_; ++u) {
            const float input_gate = sigmoid_approx(z[u]);
            const float forget_gate = sigmoid_approx(z[hidden_ + u]);
            const float candidate = tanh_approx(z[2 * hidden_ + u]);
            const float output_gate = sigmoid_approx(z[3 * hidden_ + u]);
            cell_[u] = forget_gate * cell_[u] + input_gate * candidate;
            h[u] = output_gate * tanh_approx(cell_[u]);
        }
        return h;
    }

private:
    std::size_t inputs_ = 0, hidden_ = 0;
    std::vector<float> weights_, bias_, initial_hidden_, initial_cell_;
    std::vector<float> state_;  // [x ; h], so one loop covers input and recurrent weights
    std::vector<float> cell_;
    std::vector<float> gates_;
};

}  // namespace pedal::layers
