// One LSTM layer, run over a block of frames (one frame after another: the
// recurrence allows no more).
//
// Gates in PyTorch order i, f, g, o. The loaders give weights as
// [input + hidden][4H], so each input value scales one contiguous row of 4H
// gate pre-activations; shapes with a compile-time-sized kernel keep them in
// that kernel's own layout instead (lstm_kernels.h), chosen once here.
//   z = b + W . [x ; h];  c = sigma(z_f) c + sigma(z_i) tanh(z_g);  h = sigma(z_o) tanh(c)
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "layers/aligned.h"
#include "layers/lstm_kernels.h"

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
          hidden_state_(hidden, 0.0f), cell_(hidden, 0.0f), scratch_(4 * hidden, 0.0f) {
        if (initial_hidden_.empty()) initial_hidden_.assign(hidden, 0.0f);
        if (initial_cell_.empty()) initial_cell_.assign(hidden, 0.0f);
        LstmKernelChoice choice = select_lstm_kernel(inputs, hidden, weights_, bias_);
        run_ = choice.kernel;
        kernel_weights_.assign(choice.weights.begin(), choice.weights.end());
        kernel_bias_.assign(choice.bias.begin(), choice.bias.end());
        reset();
    }

    std::size_t inputs() const { return inputs_; }
    std::size_t hidden() const { return hidden_; }
    // True when a compile-time-sized kernel serves this shape (for tests and bench).
    bool specialised() const { return run_ != &lstm_generic; }

    void reset() {
        std::copy(initial_hidden_.begin(), initial_hidden_.end(), hidden_state_.begin());
        std::copy(initial_cell_.begin(), initial_cell_.end(), cell_.begin());
    }

    // x: [frames][inputs]; writes the hidden state after each frame to h_out
    // ([frames][hidden], not overlapping x).
    void process(const float *x, std::size_t frames, float *h_out) {
        run_(call(x, frames, h_out, kernel_weights_.data(), kernel_bias_.data()));
    }

    // The generic kernel whatever the shape: the reference the specialised
    // kernels are tested against.
    void process_generic(const float *x, std::size_t frames, float *h_out) {
        lstm_generic(call(x, frames, h_out, weights_.data(), bias_.data()));
    }

private:
    LstmCall call(const float *x, std::size_t frames, float *h_out, const float *weights, const float *bias) {
        return {x, h_out, frames, inputs_, hidden_, weights, bias, hidden_state_.data(), cell_.data(),
                scratch_.data()};
    }

    std::size_t inputs_ = 0, hidden_ = 0;
    std::vector<float> weights_, bias_;  // the loaders' layout
    AlignedFloats kernel_weights_, kernel_bias_;  // run_'s layout, on cache lines (aligned.h)
    std::vector<float> initial_hidden_, initial_cell_;
    std::vector<float> hidden_state_, cell_, scratch_;
    LstmKernel run_ = &lstm_generic;
};

}  // namespace pedal::layers
