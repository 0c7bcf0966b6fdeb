// Real-input FFT of power-of-two size, our own (the core takes no third-party
// code). All tables and scratch are sized by prepare(); forward() and inverse()
// never allocate, so the convolver can call them on the audio thread.
//
// A spectrum is kept split: `re` and `im`, bins() = size/2 + 1 values each
// (DC to Nyquist). Split arrays let the convolver's multiply-accumulate run
// over plain float arrays that the compiler vectorises.
//
//   RealFft fft;  fft.prepare(256);
//   fft.forward(signal, re, im);      // X[k] = sum x[n] e^(-2 pi i k n / 256)
//   fft.inverse(re, im, signal);      // back again, scaled by 1/256
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace pedal::dsp {

class RealFft {
public:
    // `size` must be a power of two, at least 2; returns false otherwise.
    bool prepare(std::size_t size);

    std::size_t size() const noexcept { return size_; }
    std::size_t bins() const noexcept { return size_ / 2 + 1; }

    // `in`: size() samples; `re`, `im`: bins() values (im[0] and im[size/2] are 0).
    void forward(const float *in, float *re, float *im) noexcept;

    // The exact inverse of forward(): out = IDFT(X) / size. Only im[1 .. size/2 - 1]
    // are read: a real signal's DC and Nyquist bins are real.
    void inverse(const float *re, const float *im, float *out) noexcept;

private:
    // The size/2-point complex FFT on scratch_re_/scratch_im_, input already in
    // bit-reversed order, output in natural order (radix-2, decimation in time).
    void complex_transform() noexcept;

    std::size_t size_ = 0, half_ = 0;
    std::vector<std::uint32_t> bit_reversed_;  // half_ entries
    // Butterfly twiddles e^(-2 pi i k / 2h), stage by stage: h = 1, 2, 4, ...
    // stage h starts at index h - 1, so each stage reads its twiddles contiguously.
    std::vector<float> stage_re_, stage_im_;
    // e^(-2 pi i k / size), k = 0 .. size/2: splits the half-size transform into the real one.
    std::vector<float> split_re_, split_im_;
    std::vector<float> scratch_re_, scratch_im_;
};

}  // namespace pedal::dsp
