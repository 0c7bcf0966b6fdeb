// The frame loop of an LSTM layer: one generic kernel, and the same loop with
// the input and hidden sizes fixed at compile time for the shapes real
// captures use (NAM 1x8..1x40 and 2x8, AIDA-X/RTNeural LSTM 8..40).
//
// An LSTM is latency-bound: frame t+1 cannot start before frame t's hidden
// state exists, so what counts is the length of the dependency chain of one
// frame, not the number of multiply-adds. The fixed kernels shorten it:
//   - the recurrent sum runs as two interleaved chains (even and odd hidden
//     units), half as long, joined at the end;
//   - units are handled in blocks of 8 (4 when the size is not a multiple of
//     8), each block's four gate sums kept in registers and its weights laid
//     out [row][gate][lane] in the order the loop reads them; a block's
//     activations have no dependency on the next block's sums, so the
//     out-of-order core overlaps them.
// Every kernel sums in the same order (bias, input rows, then the even and
// odd recurrent chains, added last), so the fixed kernels give the generic
// kernel's samples.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

#include "layers/fast_math.h"
#include "layers/simd.h"

namespace pedal::layers {

struct LstmCall {
    const float *x;        // [frames][inputs]
    float *h_out;          // [frames][hidden]: the hidden state after each frame
    std::size_t frames, inputs, hidden;
    const float *weights;  // the kernel's layout (see select_lstm_kernel)
    const float *bias;     // the kernel's layout
    float *hidden_state;   // [hidden]: h before the first frame; left as h after the last
    float *cell;           // [hidden]: the same for the cell state
    float *scratch;        // [8 * hidden] (the generic kernel's gate sums)
};

using LstmKernel = void (*)(const LstmCall &call);

// One unit's state update from its four gate pre-activations (PyTorch order
// i, f, g, o); returns the new hidden value and updates the cell in place.
// sigma(i) tanh(g) and sigma(o) tanh(c) are each one fused gate (one division).
inline float lstm_unit(float zi, float zf, float zg, float zo, float &cell) {
    cell = multiply_add(sigmoid_approx(zf), cell, tanh_times_sigmoid(zg, zi));
    return tanh_times_sigmoid(cell, zo);
}

// Weights [(inputs + hidden)][4 * hidden] and bias [4 * hidden], as the loaders
// give them.
inline void lstm_generic(const LstmCall &call) {
    const std::size_t in = call.inputs, hidden = call.hidden, width = 4 * hidden;
    float *even = call.scratch, *odd = call.scratch + width;
    const float *previous = call.hidden_state;
    for (std::size_t t = 0; t < call.frames; ++t) {
        const float *x = call.x + t * in;
        float *h = call.h_out + t * hidden;
        for (std::size_t c = 0; c < width; ++c) {
            even[c] = call.bias[c];
            odd[c] = 0.0f;
        }
        for (std::size_t r = 0; r < in; ++r) {
            const float xr = x[r];
            const float *row = call.weights + r * width;
            for (std::size_t c = 0; c < width; ++c) even[c] += row[c] * xr;
        }
        for (std::size_t j = 0; j < hidden; ++j) {
            const float hj = previous[j];
            const float *row = call.weights + (in + j) * width;
            float *sum = j % 2 == 0 ? even : odd;
            for (std::size_t c = 0; c < width; ++c) sum[c] += row[c] * hj;
        }
        for (std::size_t c = 0; c < width; ++c) even[c] += odd[c];
        for (std::size_t u = 0; u < hidden; ++u)
            h[u] = lstm_unit(even[u], even[hidden + u], even[2 * hidden + u], even[3 * hidden + u], call.cell[u]);
        previous = h;
    }
    if (call.frames > 0) std::copy(previous, previous + hidden, call.hidden_state);
}

// Compile-time sizes. Hidden units go in blocks of kLanes: 8 when `Hidden` is
// a multiple of 8 (one AVX vector, or two 4-lane vectors, so each broadcast
// input value feeds 8 units), else 4. A block's sums are kVectors vectors of
// the type Lanes per gate.
template <std::size_t Inputs, std::size_t Hidden>
struct FixedLstm {
    static constexpr std::size_t kLanes = Hidden % 8 == 0 ? 8 : 4;
    using Lanes = std::conditional_t<kLanes >= simd::kWidth, simd::Vec, simd::Narrow>;
    static constexpr std::size_t kWidth = kLanes >= simd::kWidth ? simd::kWidth : simd::kNarrowWidth;
    static constexpr std::size_t kVectors = kLanes / kWidth;
    static constexpr std::size_t kBlocks = Hidden / kLanes;
    static constexpr std::size_t kRows = Inputs + Hidden;
    static_assert(Hidden % 4 == 0, "hidden sizes are multiples of 4");

    using Sums = Lanes[4][kVectors];  // [gate][vector]

    // Weights [block][row][gate][lane], bias [block][gate][lane], from the
    // loaders' [row][gate * Hidden + unit] and [gate * Hidden + unit].
    static std::vector<float> pack_weights(const std::vector<float> &weights) {
        std::vector<float> packed(weights.size());
        std::size_t n = 0;
        for (std::size_t b = 0; b < kBlocks; ++b)
            for (std::size_t r = 0; r < kRows; ++r)
                for (std::size_t g = 0; g < 4; ++g)
                    for (std::size_t l = 0; l < kLanes; ++l)
                        packed[n++] = weights[r * 4 * Hidden + g * Hidden + b * kLanes + l];
        return packed;
    }

    static std::vector<float> pack_bias(const std::vector<float> &bias) {
        std::vector<float> packed(bias.size());
        std::size_t n = 0;
        for (std::size_t b = 0; b < kBlocks; ++b)
            for (std::size_t g = 0; g < 4; ++g)
                for (std::size_t l = 0; l < kLanes; ++l) packed[n++] = bias[g * Hidden + b * kLanes + l];
        return packed;
    }

    PEDAL_INLINE static void unit_block(const LstmCall &call, std::size_t b, const float *x, const float *previous, float *h) {
        const float *w = call.weights + b * kRows * 4 * kLanes;
        Sums even, odd;
        PEDAL_UNROLL
        for (std::size_t g = 0; g < 4; ++g) {
            PEDAL_UNROLL
            for (std::size_t v = 0; v < kVectors; ++v) {
                simd::load(even[g][v], call.bias + (b * 4 + g) * kLanes + v * kWidth);
                odd[g][v] = Lanes{};
            }
        }
        PEDAL_UNROLL
        for (std::size_t r = 0; r < Inputs; ++r) add_row(even, w + r * 4 * kLanes, x[r]);
        PEDAL_UNROLL
        for (std::size_t j = 0; j < Hidden; ++j)
            add_row(j % 2 == 0 ? even : odd, w + (Inputs + j) * 4 * kLanes, previous[j]);
        float z[4][kLanes];
        PEDAL_UNROLL
        for (std::size_t g = 0; g < 4; ++g) {
            PEDAL_UNROLL
            for (std::size_t v = 0; v < kVectors; ++v) {
                even[g][v] += odd[g][v];
                simd::store(z[g] + v * kWidth, even[g][v]);
            }
        }
        // Local copies, so the vectoriser needs no run-time check that the
        // cell, the gates and h do not overlap; moved as whole vectors, so a
        // load never straddles two smaller stores (a store-forwarding stall).
        float cell[kLanes], out[kLanes];
        move(cell, call.cell + b * kLanes);
        for (std::size_t l = 0; l < kLanes; ++l) out[l] = lstm_unit(z[0][l], z[1][l], z[2][l], z[3][l], cell[l]);
        move(call.cell + b * kLanes, cell);
        move(h + b * kLanes, out);
    }

    PEDAL_INLINE static void move(float *to, const float *from) {
        PEDAL_UNROLL
        for (std::size_t v = 0; v < kVectors; ++v) {
            Lanes lanes;
            simd::load(lanes, from + v * kWidth);
            simd::store(to + v * kWidth, lanes);
        }
    }

    PEDAL_INLINE static void add_row(Sums &sums, const float *row, float value) {
        PEDAL_UNROLL
        for (std::size_t g = 0; g < 4; ++g) {
            PEDAL_UNROLL
            for (std::size_t v = 0; v < kVectors; ++v) {
                Lanes weights;
                simd::load(weights, row + g * kLanes + v * kWidth);
                sums[g][v] += weights * value;
            }
        }
    }

    static void run(const LstmCall &call) {
        const float *previous = call.hidden_state;
        for (std::size_t t = 0; t < call.frames; ++t) {
            float *h = call.h_out + t * Hidden;
            // A loop, not unrolled: a block's code is already long, and a
            // frame of 5 unrolled blocks (1x40) ran 15 % slower.
            for (std::size_t b = 0; b < kBlocks; ++b) unit_block(call, b, call.x + t * Inputs, previous, h);
            previous = h;
        }
        if (call.frames > 0) std::copy(previous, previous + Hidden, call.hidden_state);
    }
};

// The kernel for (inputs, hidden) and the weight and bias layouts it reads;
// the generic kernel and the loaders' layouts when no fixed kernel is compiled in.
struct LstmKernelChoice {
    LstmKernel kernel;
    std::vector<float> weights, bias;
};
LstmKernelChoice select_lstm_kernel(std::size_t inputs, std::size_t hidden, const std::vector<float> &weights,
                                    const std::vector<float> &bias);

}  // namespace pedal::layers
