#include "dsp/resampler.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "dsp/fir_design.h"

#include "dsp/dot.h"

namespace pedal::dsp {

namespace {

}  // namespace

bool Resampler::prepare(unsigned input_rate, unsigned output_rate, std::size_t max_input_frames,
                        const ResamplerDesign &design) {
    if (input_rate == 0 || output_rate == 0 || max_input_frames == 0) return false;
    const unsigned g = std::gcd(input_rate, output_rate);
    const unsigned up = output_rate / g, down = input_rate / g;
    if (up > kMaxFactor || down > kMaxFactor || up > kMaxRatio * down || down > kMaxRatio * up) return false;
    if (!(design.passband > 0.0 && design.passband < 1.0 && design.stopband_db >= 20.0 && design.stopband_db <= 150.0))
        return false;
    up_ = up;
    down_ = down;
    max_chunk_ = max_input_frames;

    if (up == 1 && down == 1) {  // same rate: one tap of 1, a plain copy
        taps_ = 8;
        coefficients_.assign(8, 0.0f);
        coefficients_[7] = 1.0f;
        centre_ = 0;
        return align_latency(0);
    }

    // The prototype runs at L x input rate; frequencies below in cycles per tick.
    const double tick_rate = static_cast<double>(up) * input_rate;
    const double nyquist = 0.5 * std::min(input_rate, output_rate);
    const double pass = design.passband * nyquist / tick_rate, stop = nyquist / tick_rate;
    std::size_t length = fir::kaiser_length(design.stopband_db, stop - pass);
    length += 1 - length % 2;  // odd: the centre falls on a tick
    const std::vector<double> h = fir::kaiser_lowpass(length, 0.5 * (pass + stop), fir::kaiser_beta(design.stopband_db));
    centre_ = (length - 1) / 2;

    // Each phase sees every L-th tap; scaled by L (the zeros took that energy).
    const double sum = std::accumulate(h.begin(), h.end(), 0.0);
    taps_ = (length + up - 1) / up;
    taps_ = (taps_ + 7) / 8 * 8;
    coefficients_.assign(static_cast<std::size_t>(up) * taps_, 0.0f);
    for (std::size_t p = 0; p < up; ++p) {
        for (std::size_t j = 0; j < taps_; ++j) {
            const std::size_t i = p + (taps_ - 1 - j) * up;  // the tap meeting input n0 - (T-1-j)
            if (i < length) coefficients_[p * taps_ + j] = static_cast<float>(h[i] * up / sum);
        }
    }
    // Default: the smallest whole number of output samples at or past the centre.
    return align_latency((centre_ + down - 1) / down * down);
}

bool Resampler::align_latency(std::size_t ticks) {
    if (ticks < centre_) return false;
    latency_ticks_ = ticks;
    // Output 0 sits at tick t0 = centre - latency <= 0, which needs input
    // n0 = floor(t0 / L) (zeros before the stream) with phase t0 - n0 L.
    const std::size_t back = ticks - centre_;
    const std::size_t before = (back + up_ - 1) / up_;  // -n0: silent samples before the stream
    start_phase_ = before * up_ - back;
    start_ = taps_ - 1 + before;
    start_read_ = taps_ - 1;
    advance_whole_ = down_ / up_;
    advance_phase_ = down_ % up_;
    history_.assign(2 * start_ + 2 * taps_ + max_chunk_, 0.0f);
    reset();
    return true;
}

void Resampler::reset() noexcept {
    std::fill(history_.begin(), history_.end(), 0.0f);
    write_ = start_;
    read_ = start_read_;
    phase_ = start_phase_;
}

// Moves the samples still needed (the T-1 before the next output's newest
// input, and anything newer) to the front of the history.
void Resampler::make_room(std::size_t frames) noexcept {
    if (write_ + frames <= history_.size()) return;
    const std::size_t keep_from = std::min(read_, write_) - (taps_ - 1);
    std::memmove(history_.data(), history_.data() + keep_from, (write_ - keep_from) * sizeof(float));
    write_ -= keep_from;
    read_ -= keep_from;
}

std::size_t Resampler::process(const float *in, std::size_t frames, float *out) noexcept {
    std::size_t produced = 0;
    if (history_.empty()) return 0;  // not prepared
    while (frames > 0) {
        const std::size_t n = std::min(frames, max_chunk_);
        make_room(n);
        float *dst = history_.data() + write_;
        for (std::size_t i = 0; i < n; ++i) dst[i] = std::isfinite(in[i]) ? in[i] : 0.0f;
        write_ += n;
        while (read_ < write_) {
            out[produced++] = dot(coefficients_.data() + phase_ * taps_, history_.data() + read_ - (taps_ - 1), taps_);
            read_ += advance_whole_;
            phase_ += advance_phase_;
            if (phase_ >= up_) {
                phase_ -= up_;
                ++read_;
            }
        }
        in += n;
        frames -= n;
    }
    return produced;
}

}  // namespace pedal::dsp
