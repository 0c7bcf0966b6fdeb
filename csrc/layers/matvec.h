// z = start + x . W for one frame of a recurrent layer: W is [rows][width]
// (row j holds what x[j] adds to every output), the layout LSTM and GRU keep.
//
// The outputs are swept in blocks of kBlock vectors whose sums stay in
// registers while every row is added, so each weight is loaded once and each
// output stored once (a plain loop over rows would reload and store all of z
// for every row). Rows are added in ascending order, as in the textbook loop,
// so the samples are the same.
#pragma once

#include <cstddef>

#include "layers/simd.h"

namespace pedal::layers {

namespace detail {

template <std::size_t Vectors>
inline void matvec_block(const float *x, std::size_t rows, const float *w, std::size_t width, const float *start,
                         float *z) {
    simd::Vec sum[Vectors];
    PEDAL_UNROLL
    for (std::size_t v = 0; v < Vectors; ++v) simd::load(sum[v], start + v * simd::kWidth);
    for (std::size_t j = 0; j < rows; ++j) {
        const float xj = x[j];
        const float *row = w + j * width;
        PEDAL_UNROLL
        for (std::size_t v = 0; v < Vectors; ++v) {
            simd::Vec weights;
            simd::load(weights, row + v * simd::kWidth);
            sum[v] += weights * xj;
        }
    }
    PEDAL_UNROLL
    for (std::size_t v = 0; v < Vectors; ++v) simd::store(z + v * simd::kWidth, sum[v]);
}

// matvec_block<n> for a run-time n < 8.
inline void matvec_rest(std::size_t vectors, const float *x, std::size_t rows, const float *w, std::size_t width,
                        const float *start, float *z) {
    switch (vectors) {
        case 7: matvec_block<7>(x, rows, w, width, start, z); break;
        case 6: matvec_block<6>(x, rows, w, width, start, z); break;
        case 5: matvec_block<5>(x, rows, w, width, start, z); break;
        case 4: matvec_block<4>(x, rows, w, width, start, z); break;
        case 3: matvec_block<3>(x, rows, w, width, start, z); break;
        case 2: matvec_block<2>(x, rows, w, width, start, z); break;
        case 1: matvec_block<1>(x, rows, w, width, start, z); break;
        default: break;
    }
}

}  // namespace detail

// z[c] = start[c] + sum_j x[j] * w[j * width + c] for c < width. z may be start.
inline void matvec(const float *x, std::size_t rows, const float *w, std::size_t width, const float *start,
                   float *z) {
    constexpr std::size_t kBlock = 8;  // vectors of sums held in registers at once
    constexpr std::size_t W = simd::kWidth;
    std::size_t c = 0;
    for (; c + kBlock * W <= width; c += kBlock * W) detail::matvec_block<kBlock>(x, rows, w + c, width, start + c, z + c);
    // The whole vectors left, in one sweep of the rows rather than one sweep each
    // (GRU 40's 120 outputs on AVX: 8 vectors, then 7).
    const std::size_t left = (width - c) / W;
    detail::matvec_rest(left, x, rows, w + c, width, start + c, z + c);
    c += left * W;
    for (; c < width; ++c) {
        float sum = start[c];
        for (std::size_t j = 0; j < rows; ++j) sum += x[j] * w[j * width + c];
        z[c] = sum;
    }
}

}  // namespace pedal::layers
