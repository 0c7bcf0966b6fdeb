// A real FFT of size N is done as a complex FFT of size N/2 on the pairs
// z[m] = x[2m] + i x[2m+1], then split: with E and O the spectra of the even and
// odd samples, E[k] = (Z[k] + conj Z[N/2-k]) / 2, O[k] = (Z[k] - conj Z[N/2-k]) / 2i
// and X[k] = E[k] + e^(-2 pi i k/N) O[k]. The inverse runs the same steps backwards.
// Half the work of a complex FFT of size N, and twiddles are computed in double
// once, so the error stays near float rounding (tested to 1e-6 against a DFT).
#include "dsp/fft.h"

#include <cmath>

namespace pedal::dsp {

namespace {

constexpr double kPi = 3.14159265358979323846;

bool is_power_of_two(std::size_t n) { return n != 0 && (n & (n - 1)) == 0; }

}  // namespace

bool RealFft::prepare(std::size_t size) {
    if (size < 2 || !is_power_of_two(size) || size > (std::size_t{1} << 30)) return false;
    size_ = size;
    half_ = size / 2;

    unsigned bits = 0;
    while ((std::size_t{1} << bits) < half_) ++bits;
    bit_reversed_.assign(half_, 0);
    for (std::size_t m = 0; m < half_; ++m) {
        std::uint32_t r = 0;
        for (unsigned b = 0; b < bits; ++b)
            if (m & (std::size_t{1} << b)) r |= 1u << (bits - 1 - b);
        bit_reversed_[m] = r;
    }

    stage_re_.assign(half_ > 1 ? half_ - 1 : 1, 0.0f);
    stage_im_.assign(stage_re_.size(), 0.0f);
    for (std::size_t h = 1; h < half_; h *= 2) {
        for (std::size_t k = 0; k < h; ++k) {
            const double angle = -kPi * static_cast<double>(k) / static_cast<double>(h);
            stage_re_[h - 1 + k] = static_cast<float>(std::cos(angle));
            stage_im_[h - 1 + k] = static_cast<float>(std::sin(angle));
        }
    }

    split_re_.assign(half_ + 1, 0.0f);
    split_im_.assign(half_ + 1, 0.0f);
    for (std::size_t k = 0; k <= half_; ++k) {
        const double angle = -2.0 * kPi * static_cast<double>(k) / static_cast<double>(size);
        split_re_[k] = static_cast<float>(std::cos(angle));
        split_im_[k] = static_cast<float>(std::sin(angle));
    }

    scratch_re_.assign(half_, 0.0f);
    scratch_im_.assign(half_, 0.0f);
    return true;
}

void RealFft::complex_transform() noexcept {
    float *zr = scratch_re_.data();
    float *zi = scratch_im_.data();
    for (std::size_t h = 1; h < half_; h *= 2) {
        const float *wr = stage_re_.data() + h - 1;
        const float *wi = stage_im_.data() + h - 1;
        for (std::size_t start = 0; start < half_; start += 2 * h) {
            float *ar = zr + start, *ai = zi + start;
            float *br = ar + h, *bi = ai + h;
            for (std::size_t k = 0; k < h; ++k) {
                const float tr = wr[k] * br[k] - wi[k] * bi[k];
                const float ti = wr[k] * bi[k] + wi[k] * br[k];
                br[k] = ar[k] - tr;
                bi[k] = ai[k] - ti;
                ar[k] += tr;
                ai[k] += ti;
            }
        }
    }
}

void RealFft::forward(const float *in, float *re, float *im) noexcept {
    if (half_ == 0) return;  // not prepared
    float *zr = scratch_re_.data();
    float *zi = scratch_im_.data();
    for (std::size_t m = 0; m < half_; ++m) {
        zr[bit_reversed_[m]] = in[2 * m];
        zi[bit_reversed_[m]] = in[2 * m + 1];
    }
    complex_transform();

    re[0] = zr[0] + zi[0];
    im[0] = 0.0f;
    re[half_] = zr[0] - zi[0];
    im[half_] = 0.0f;
    for (std::size_t k = 1; k < half_; ++k) {
        const float a = zr[k], b = zi[k], c = zr[half_ - k], d = zi[half_ - k];
        const float er = 0.5f * (a + c), ei = 0.5f * (b - d);  // E[k]
        const float orr = 0.5f * (b + d), oi = -0.5f * (a - c);  // O[k]
        const float wr = split_re_[k], wi = split_im_[k];
        re[k] = er + wr * orr - wi * oi;
        im[k] = ei + wr * oi + wi * orr;
    }
}

void RealFft::inverse(const float *re, const float *im, float *out) noexcept {
    if (half_ == 0) return;  // not prepared
    float *zr = scratch_re_.data();
    float *zi = scratch_im_.data();
    // Z[k] = E[k] + i O[k], with E = (X[k] + conj X[n-k]) / 2 and
    // O = (X[k] - conj X[n-k]) / 2 * e^(+2 pi i k/N). Stored conjugated and
    // bit-reversed: the forward transform of conj Z is n conj z.
    for (std::size_t k = 0; k < half_; ++k) {
        const float a = re[k], b = k == 0 ? 0.0f : im[k];
        const float c = re[half_ - k], d = k == 0 ? 0.0f : im[half_ - k];
        const float er = 0.5f * (a + c), ei = 0.5f * (b - d);
        const float dr = 0.5f * (a - c), di = 0.5f * (b + d);
        const float wr = split_re_[k], wi = -split_im_[k];  // e^(+2 pi i k/N)
        const float orr = dr * wr - di * wi, oi = dr * wi + di * wr;
        zr[bit_reversed_[k]] = er - oi;
        zi[bit_reversed_[k]] = -(ei + orr);
    }
    complex_transform();
    const float scale = 1.0f / static_cast<float>(half_);
    for (std::size_t m = 0; m < half_; ++m) {
        out[2 * m] = zr[m] * scale;
        out[2 * m + 1] = -zi[m] * scale;
    }
}

}  // namespace pedal::dsp
