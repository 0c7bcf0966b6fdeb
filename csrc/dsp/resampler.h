// Streaming sample-rate conversion by a rational factor L/M (44.1k -> 48k is
// 160/147), with a polyphase windowed-sinc FIR designed at prepare time.
//
// The model: insert L-1 zeros between input samples (rate L x input, one "tick"
// per sample there), low-pass, keep every M-th sample. The polyphase form
// computes only the kept samples, each a T-tap dot product of the input with
// one of L sub-filters ("phases"); T ~ 60 for 44.1k <-> 48k.
//
// The filter (ResamplerDesign): flat to `passband` x the lower Nyquist
// frequency, at least `stopband_db` down from the lower Nyquist frequency on,
// so images (up-sampling) and aliases (down-sampling) stay under -80 dB with
// the default 90 dB design. Measured for 44.1k <-> 48k: see the tests.
//
// Latency is exact: output k holds the input signal at time k M - latency_ticks
// ticks. By default latency_ticks is a whole number of output samples (the
// filter's half length rounded up), so latency() is an integer; a caller that
// chains two resamplers can align their sum instead (align_latency; see
// rate_bridge.h).
//
//   Resampler up;  up.prepare(44100, 48000, 1024);       // off the audio thread
//   std::size_t n = up.process(in, frames, out);          // out holds max_output_frames(frames)
#pragma once

#include <cstddef>
#include <vector>

namespace pedal::dsp {

struct ResamplerDesign {
    // Flat band, as a fraction of the lower Nyquist frequency: 18 kHz at 44.1 kHz.
    double passband = 18000.0 / 22050.0;
    // Attenuation from the lower Nyquist frequency up.
    double stopband_db = 90.0;
};

class Resampler {
public:
    // Largest up and down factors after reduction (44.1k <-> 48k: 160, 147),
    // and the largest ratio between the rates.
    static constexpr unsigned kMaxFactor = 1024;
    static constexpr unsigned kMaxRatio = 16;

    // Off the audio thread: designs the filter and sizes the history for calls of
    // up to `max_input_frames` (larger calls are split). Equal rates give an
    // exact copy with no latency. False for rates out of bounds.
    bool prepare(unsigned input_rate, unsigned output_rate, std::size_t max_input_frames,
                 const ResamplerDesign &design = {});

    // Off the audio thread: sets the latency to `ticks` (>= min_latency_ticks())
    // and resets. False if too small.
    bool align_latency(std::size_t ticks);

    unsigned up() const noexcept { return up_; }      // L
    unsigned down() const noexcept { return down_; }  // M
    std::size_t taps_per_phase() const noexcept { return taps_; }
    std::size_t min_latency_ticks() const noexcept { return centre_; }
    std::size_t latency_ticks() const noexcept { return latency_ticks_; }
    // In output samples; an integer unless align_latency() chose otherwise.
    double latency() const noexcept { return static_cast<double>(latency_ticks_) / down_; }

    // Most outputs one call with `input_frames` can produce: ceil(frames L / M),
    // plus one for the first call after a reset, which may also complete an
    // output placed before the stream (in the silence the filter starts from).
    std::size_t max_output_frames(std::size_t input_frames) const noexcept {
        return (input_frames * up_ + down_ - 1) / down_ + 1;
    }

    // Audio thread: consumes all `frames`, writes the outputs they complete and
    // returns how many. Never allocates. Non-finite input samples count as
    // silence, so a NaN cannot linger in the history.
    std::size_t process(const float *in, std::size_t frames, float *out) noexcept;

    // Audio thread: silence in the history, back to the first output's phase.
    void reset() noexcept;

private:
    void make_room(std::size_t frames) noexcept;

    unsigned up_ = 1, down_ = 1;
    std::size_t taps_ = 1;                  // T, a multiple of 8
    std::size_t centre_ = 0;                // the prototype's centre, in ticks
    std::size_t latency_ticks_ = 0;
    std::vector<float> coefficients_;       // L phases x T taps, oldest input first
    std::size_t max_chunk_ = 0;

    // Input history, kept contiguous behind the write position (rewinds, as
    // layers/history.h does). read_ is where the newest input sample of the next
    // output sits; phase_ picks its sub-filter.
    std::vector<float> history_;
    std::size_t start_ = 0;                 // write position after reset
    std::size_t start_read_ = 0, start_phase_ = 0;
    std::size_t write_ = 0, read_ = 0, phase_ = 0;
    std::size_t advance_whole_ = 0, advance_phase_ = 0;  // M = whole L + phase
};

}  // namespace pedal::dsp
