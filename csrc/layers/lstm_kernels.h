// The frame loop of an LSTM layer: one generic kernel, and the same loop with
// the input and hidden sizes fixed at compile time for the shapes real
// captures use (NAM 1x8..1x40 and 2x8, AIDA-X/RTNeural LSTM 8..40).
//
// An LSTM is latency-bound: frame t+1 cannot start before frame t's hidden
// state exists, so what counts is the length of the dependency chain of one
// frame, not the number of multiply-adds. The fixed kernels shorten it:
//   - units are handled in blocks of 8 (4 when the size is not a multiple of
//     8), each block's four gate sums kept in registers and its weights laid
//     out [row][gate][lane] in the order the loop reads them;
//   - as many blocks as the registers hold go together as one group: their
//     sums advance row by row side by side, and then their activations run
//     side by side. A block's activations are a long chain of dependent
//     operations; written one block after another, the next block's sums
//     wait behind that chain for room in the out-of-order window, while in a
//     group the chains of all its blocks overlap;
//   - on AVX2, a frame wider than one group (1x32, 1x40) is software-
//     pipelined: the activations of one group are issued in steps between the
//     rows of the next group's sums, so the multiply-adds fill the chains'
//     waits (a lone block left over joins the last group); elsewhere such a
//     frame loops over its groups.
// Every kernel sums in the same order (bias, input rows, then the recurrent
// rows in order), so the fixed kernels give the generic kernel's samples.
#pragma once

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <utility>
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
    float *scratch;        // [4 * hidden] (the generic kernel's gate sums)
};

using LstmKernel = void (*)(const LstmCall &call);

// One unit's state update from its four gate pre-activations (PyTorch order
// i, f, g, o), in two halves a pipelined kernel can issue apart: the new cell,
// then the new hidden value. sigma(i) tanh(g) and sigma(o) tanh(c) are each one
// fused gate (one division). Written once for a float and for a vector of units
// (fast_math.h), and for the two forms of the activations: Short, the ratio
// forms (a shorter chain of dependent operations, more multiply-adds), for the
// layers whose frame is one such chain; else the exp forms.
//
// A layer of up to kShortChainUnits units is one such chain: its frame's sums
// are few and done early, and its activations are what the next frame waits
// for. Wider layers have more multiply-adds to their sums, which the exp forms
// leave more room for. Measured on an Intel Xeon (AVX2): 1x16 and 2x8 6 %
// faster with the ratio forms; 1x24 6 % and 1x40 3 % slower. The choice
// depends on the shape only, so every kernel for a shape (fixed or generic)
// gives the same samples.
constexpr std::size_t kShortChainUnits = 16;

template <bool Short, typename T>
PEDAL_INLINE T lstm_cell(T zi, T zf, T zg, T cell) {
    if constexpr (Short) return multiply_add(sigmoid_short(zf), cell, tanh_times_sigmoid_short(zg, zi));
    else return multiply_add(sigmoid_approx(zf), cell, tanh_times_sigmoid(zg, zi));
}

template <bool Short, typename T>
PEDAL_INLINE T lstm_hidden(T zo, T cell) {
    if constexpr (Short) return tanh_times_sigmoid_short(cell, zo);
    else return tanh_times_sigmoid(cell, zo);
}

// Both halves: returns the new hidden value and updates the cell in place.
template <bool Short, typename T>
PEDAL_INLINE T lstm_unit(T zi, T zf, T zg, T zo, T &cell) {
    cell = lstm_cell<Short>(zi, zf, zg, cell);
    return lstm_hidden<Short>(zo, cell);
}

// Weights [(inputs + hidden)][4 * hidden] and bias [4 * hidden], as the loaders
// give them.
template <bool Short>
void lstm_generic_with(const LstmCall &call) {
    const std::size_t in = call.inputs, hidden = call.hidden, width = 4 * hidden;
    float *sum = call.scratch;
    const float *previous = call.hidden_state;
    for (std::size_t t = 0; t < call.frames; ++t) {
        const float *x = call.x + t * in;
        float *h = call.h_out + t * hidden;
        for (std::size_t c = 0; c < width; ++c) sum[c] = call.bias[c];
        for (std::size_t r = 0; r < in + hidden; ++r) {
            const float value = r < in ? x[r] : previous[r - in];
            const float *row = call.weights + r * width;
            for (std::size_t c = 0; c < width; ++c) sum[c] += row[c] * value;
        }
        for (std::size_t u = 0; u < hidden; ++u)
            h[u] = lstm_unit<Short>(sum[u], sum[hidden + u], sum[2 * hidden + u], sum[3 * hidden + u], call.cell[u]);
        previous = h;
    }
    if (call.frames > 0) std::copy(previous, previous + hidden, call.hidden_state);
}

inline void lstm_generic(const LstmCall &call) {
    if (call.hidden <= kShortChainUnits) lstm_generic_with<true>(call);
    else lstm_generic_with<false>(call);
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
    static constexpr bool kShort = Hidden <= kShortChainUnits;
    static_assert(Hidden % 4 == 0, "hidden sizes are multiples of 4");

    using Sums = Lanes[4][kVectors];  // [gate][vector]

    // Blocks per group: all of them when every sum fits in 12 registers (16
    // on x86, with room for the broadcast values and the activations'
    // temporaries), else 2, or 1 where even 2 do not fit. Measured on Zen 3:
    // 1x16 and 1x24 run fastest as one group, 1x40 in groups of 2 (3 made
    // the activations spill).
    static constexpr std::size_t kSumRegisters = simd::kRegisters - 4;
    static constexpr std::size_t kBlockRegisters = 4 * kVectors;
    static constexpr std::size_t kGroup = kBlocks * kBlockRegisters <= kSumRegisters ? kBlocks
                                          : 2 * kBlockRegisters <= kSumRegisters      ? 2
                                                                                      : 1;

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

    // The sums of blocks first .. first + Blocks - 1, set to their biases.
    template <std::size_t Blocks>
    PEDAL_INLINE static void load_bias(const LstmCall &call, std::size_t first, Sums *sums) {
        PEDAL_UNROLL
        for (std::size_t k = 0; k < Blocks; ++k) {
            PEDAL_UNROLL
            for (std::size_t g = 0; g < 4; ++g) {
                PEDAL_UNROLL
                for (std::size_t v = 0; v < kVectors; ++v)
                    simd::load(sums[k][g][v], call.bias + ((first + k) * 4 + g) * kLanes + v * kWidth);
            }
        }
    }

    // The gate sums of blocks first .. first + Blocks - 1 of one frame.
    template <std::size_t Blocks>
    PEDAL_INLINE static void group_sums(const LstmCall &call, std::size_t first, const float *x, const float *previous,
                                        Sums *sums) {
        load_bias<Blocks>(call, first, sums);
        const float *w = call.weights + first * kRows * 4 * kLanes;
        PEDAL_UNROLL
        for (std::size_t r = 0; r < kRows; ++r) {
            const float value = r < Inputs ? x[r] : previous[r - Inputs];
            PEDAL_UNROLL
            for (std::size_t k = 0; k < Blocks; ++k) add_row(sums[k], w + (k * kRows + r) * 4 * kLanes, value);
        }
    }

    // Their activations, on the sums as they sit in registers.
    template <std::size_t Blocks>
    PEDAL_INLINE static void group_activations(const LstmCall &call, std::size_t first, const Sums *sums, float *h) {
#if PEDAL_VECTOR_MATH
        PEDAL_UNROLL
        for (std::size_t k = 0; k < Blocks; ++k) {
            PEDAL_UNROLL
            for (std::size_t v = 0; v < kVectors; ++v) {
                const std::size_t unit = (first + k) * kLanes + v * kWidth;
                Lanes cell;
                simd::load(cell, call.cell + unit);
                const Lanes out = lstm_unit<kShort>(sums[k][0][v], sums[k][1][v], sums[k][2][v], sums[k][3][v], cell);
                simd::store(call.cell + unit, cell);
                simd::store(h + unit, out);
            }
        }
#else
        for (std::size_t k = 0; k < Blocks; ++k) {
            float z[4][kLanes];
            PEDAL_UNROLL
            for (std::size_t g = 0; g < 4; ++g) {
                PEDAL_UNROLL
                for (std::size_t v = 0; v < kVectors; ++v) simd::store(z[g] + v * kWidth, sums[k][g][v]);
            }
            const std::size_t unit = (first + k) * kLanes;
            for (std::size_t l = 0; l < kLanes; ++l)
                h[unit + l] = lstm_unit<kShort>(z[0][l], z[1][l], z[2][l], z[3][l], call.cell[unit + l]);
        }
#endif
    }

    // A frame that fits one group.
    PEDAL_INLINE static void whole_frame(const LstmCall &call, const float *x, const float *previous, float *h) {
        Sums sums[kBlocks];
        group_sums<kBlocks>(call, 0, x, previous, sums);
        group_activations<kBlocks>(call, 0, sums, h);
    }

    // Row R of the sums of blocks first .. first + Blocks - 1, and, at every
    // kSpacing-th row, one step of the activations of the Pending blocks just
    // before them: 2 steps per vector of units (the new cell, then the new
    // hidden value), spaced evenly between the rows.
    template <std::size_t Blocks, std::size_t Pending, std::size_t R>
    PEDAL_INLINE static void piped_row(const LstmCall &call, std::size_t first, const float *x, const float *previous,
                                       Sums *sums, const Sums *pending, Lanes *cells, float *h) {
        const float *w = call.weights + first * kRows * 4 * kLanes;
        const float value = R < Inputs ? x[R] : previous[R - Inputs];
        PEDAL_UNROLL
        for (std::size_t k = 0; k < Blocks; ++k) add_row(sums[k], w + (k * kRows + R) * 4 * kLanes, value);
        constexpr std::size_t kUnits = Pending * kVectors, kSpacing = kRows / (2 * kUnits + 1);
        constexpr std::size_t kStep = (R + 1) / kSpacing;
        if constexpr ((R + 1) % kSpacing == 0 && kStep >= 1 && kStep <= 2 * kUnits) {
            constexpr std::size_t kUnit = (kStep - 1) % kUnits, k = kUnit / kVectors, v = kUnit % kVectors;
            const std::size_t unit = (first - Pending + k) * kLanes + v * kWidth;
            if constexpr (kStep <= kUnits) {
                Lanes cell;
                simd::load(cell, call.cell + unit);
                cells[kUnit] = lstm_cell<kShort>(pending[k][0][v], pending[k][1][v], pending[k][2][v], cell);
                simd::store(call.cell + unit, cells[kUnit]);
            } else {
                simd::store(h + unit, lstm_hidden<kShort>(pending[k][3][v], cells[kUnit]));
            }
        }
    }

    // Every row, as one expansion (not a recursion, which the compiler
    // inlines at a cost that grows with the square of the depth).
    template <std::size_t Blocks, std::size_t Pending, std::size_t... R>
    PEDAL_INLINE static void piped_rows(std::index_sequence<R...>, const LstmCall &call, std::size_t first,
                                        const float *x, const float *previous, Sums *sums, const Sums *pending,
                                        Lanes *cells, float *h) {
        (piped_row<Blocks, Pending, R>(call, first, x, previous, sums, pending, cells, h), ...);
    }

    // A frame wider than one group, from group First on: each group's sums
    // with the previous group's activations woven in; the last group's
    // activations after its sums.
    template <std::size_t First = 0, std::size_t Pending = 0>
    PEDAL_INLINE static void piped_frame(const LstmCall &call, const float *x, const float *previous, float *h,
                                         const Sums *pending) {
        // A lone block left over joins the last group: alone, its 4 sums could
        // not keep the multiply-add units busy (1x40 on AVX2, 5 blocks: 2 + 3
        // ran 2 % faster than 2 + 2 + 1).
        constexpr std::size_t kLeft = kBlocks - First;
        constexpr std::size_t kCount = kLeft == kGroup + 1 ? kLeft : std::min(kGroup, kLeft);
        Sums sums[kCount];
        if constexpr (Pending == 0) {
            group_sums<kCount>(call, First, x, previous, sums);
        } else {
            load_bias<kCount>(call, First, sums);
            Lanes cells[Pending * kVectors];
            piped_rows<kCount, Pending>(std::make_index_sequence<kRows>{}, call, First, x, previous, sums, pending, cells,
                                        h);
        }
        if constexpr (First + kCount < kBlocks) {
            piped_frame<First + kCount, kCount>(call, x, previous, h, sums);
        } else {
            group_activations<kCount>(call, First, sums, h);
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

    // A frame wider than one group, a group at a time: where a group is a
    // single block (the registers of SSE and 32-bit ARM hold no more), there
    // is no other group's work to weave in that a loop would not give the
    // out-of-order core anyway, and one looped body keeps the code small.
    PEDAL_INLINE static void looped_frame(const LstmCall &call, const float *x, const float *previous, float *h) {
        constexpr std::size_t kWhole = kBlocks / kGroup * kGroup, kLeft = kBlocks - kWhole;
        for (std::size_t b = 0; b < kWhole; b += kGroup) {
            Sums sums[kGroup];
            group_sums<kGroup>(call, b, x, previous, sums);
            group_activations<kGroup>(call, b, sums, h);
        }
        if constexpr (kLeft > 0) {
            Sums sums[kLeft];
            group_sums<kLeft>(call, kWhole, x, previous, sums);
            group_activations<kLeft>(call, kWhole, sums, h);
        }
    }

    // Pipelining needs the activations on whole vectors and groups of at
    // least 2 blocks to pay for its longer code. It was measured on AVX2
    // (1x40: 5 % faster); on aarch64 it multiplied the kernels' compile time
    // by 4 and no board has timed it yet, so there wide frames loop.
    static constexpr bool kPipelined =
        kGroup < kBlocks && kGroup >= 2 && PEDAL_VECTOR_MATH && simd::kWidth == 8;

    static void run(const LstmCall &call) {
        const float *previous = call.hidden_state;
        for (std::size_t t = 0; t < call.frames; ++t) {
            const float *x = call.x + t * Inputs;
            float *h = call.h_out + t * Hidden;
            if constexpr (kGroup >= kBlocks) {
                whole_frame(call, x, previous, h);
            } else if constexpr (kPipelined) {
                piped_frame(call, x, previous, h, nullptr);
            } else {
                looped_frame(call, x, previous, h);
            }
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
