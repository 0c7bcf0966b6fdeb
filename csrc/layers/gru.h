// One GRU layer, stepped a frame at a time, in the form Keras (reset_after=True,
// the TF2 default) and PyTorch share:
//   a = b_in + W x;   q = b_rec + U h
//   z = sigma(a_z + q_z);  r = sigma(a_r + q_r);  n = tanh(a_n + r * q_n)
//   h = (1 - z) * n + z * h
// The reset gate scales the recurrent sum q_n, bias included, so the two biases
// cannot be folded into one as they are for the LSTM.
//
// Gate blocks are kept in Keras order z, r, n (PyTorch stores r, z, n; its
// loaders swap the first two). Weights are [inputs][3H] and [hidden][3H], so
// each input value scales one contiguous row, the order the inner loop walks.
#pragma once

#include <algorithm>
#include <cstddef>
#include <vector>

#include "layers/aligned.h"
#include "layers/fast_math.h"
#include "layers/matvec.h"

namespace pedal::layers {

class Gru {
public:
    Gru() = default;

    Gru(std::size_t inputs, std::size_t hidden, std::vector<float> input_weights,
        std::vector<float> recurrent_weights, std::vector<float> input_bias, std::vector<float> recurrent_bias)
        : inputs_(inputs), hidden_(hidden), input_weights_(input_weights.begin(), input_weights.end()),
          recurrent_weights_(recurrent_weights.begin(), recurrent_weights.end()), input_bias_(std::move(input_bias)),
          recurrent_bias_(std::move(recurrent_bias)), h_(hidden, 0.0f), a_(3 * hidden, 0.0f),
          q_(3 * hidden, 0.0f) {}

    std::size_t inputs() const { return inputs_; }
    std::size_t hidden() const { return hidden_; }

    void reset() { std::fill(h_.begin(), h_.end(), 0.0f); }

    // One frame: reads `inputs` values from x, returns the new hidden state (H
    // values, valid until the next step).
    const float *step(const float *x) {
        const std::size_t width = 3 * hidden_;
        float *a = a_.data(), *q = q_.data(), *h = h_.data();
        matvec(x, inputs_, input_weights_.data(), width, input_bias_.data(), a);
        matvec(h, hidden_, recurrent_weights_.data(), width, recurrent_bias_.data(), q);
        std::size_t u = 0;
#if PEDAL_VECTOR_MATH
        // A vector of units at a time: fast_math's activations give each lane the float version's bits.
        for (; u + simd::kWidth <= hidden_; u += simd::kWidth) gates<simd::Vec>(a, q, h, u);
#endif
        for (; u < hidden_; ++u) gates<float>(a, q, h, u);
        return h;
    }

private:
    // The gates of the units from u on, as many as V holds (a float, or a vector of them).
    template <typename V>
    PEDAL_INLINE void gates(const float *a, const float *q, float *h, std::size_t u) const {
        V az, qz, ar, qr, an, qn, previous;
        load(az, a + u), load(qz, q + u);
        load(ar, a + hidden_ + u), load(qr, q + hidden_ + u);
        load(an, a + 2 * hidden_ + u), load(qn, q + 2 * hidden_ + u);
        load(previous, h + u);
        const V update = sigmoid_approx(az + qz);
        const V reset_gate = sigmoid_approx(ar + qr);
        const V candidate = tanh_approx(an + reset_gate * qn);
        store(h + u, (1.0f - update) * candidate + update * previous);
    }
    PEDAL_INLINE static void load(float &v, const float *p) { v = *p; }
    PEDAL_INLINE static void store(float *p, float v) { *p = v; }
#if PEDAL_VECTOR_MATH
    PEDAL_INLINE static void load(simd::Vec &v, const float *p) { simd::load(v, p); }
    PEDAL_INLINE static void store(float *p, const simd::Vec &v) { simd::store(p, v); }
#endif

    std::size_t inputs_ = 0, hidden_ = 0;
    AlignedFloats input_weights_, recurrent_weights_;  // [inputs][3H], [hidden][3H], on cache lines
    std::vector<float> input_bias_, recurrent_bias_;        // [3H] each
    std::vector<float> h_;
    std::vector<float> a_, q_;  // input-side and recurrent-side pre-activations
};

}  // namespace pedal::layers
