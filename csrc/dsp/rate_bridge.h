// Runs the middle of the chain at another sample rate: the card's blocks go
// in at the outer rate, a model runs at its own (inner) rate, and the same
// number of frames come back at the outer rate, a constant whole number of
// samples later.
//
//   RateBridge bridge;  bridge.prepare(48000, 44100, 256);    // off the audio thread
//   const std::size_t m = bridge.to_inner(in, n);              // n card frames -> m model frames
//   model.process(bridge.inner(), bridge.inner(), m);          // in place, at the model's rate
//   bridge.from_inner(out, n);                                 // exactly n card frames
//
// How the count comes out exact: the up and down converters' latencies, in
// their common tick (1 / (L x outer rate) s), are chosen so their sum is a
// whole number of outer samples, and each places its first output at or before
// the stream's start (see resampler.h). Then after N outer samples in, at least
// N outer samples have come back: the FIFO between the down converter and the
// output never runs dry, needs no pre-fill, and holds at most a few samples
// beyond the block. latency() is exactly the delay from `in` to `out`.
#pragma once

#include <cstddef>
#include <vector>

#include "dsp/resampler.h"

namespace pedal::dsp {

class RateBridge {
public:
    // Off the audio thread. Blocks of up to `max_block` outer frames. Equal
    // rates make both halves plain copies (latency 0). False for rates the
    // resampler refuses.
    bool prepare(unsigned outer_rate, unsigned inner_rate, std::size_t max_block, const ResamplerDesign &design = {});

    // Outer samples from to_inner's input to from_inner's output: exact.
    std::size_t latency() const noexcept { return latency_; }

    // Most inner frames one block can turn into (the size of inner()).
    std::size_t max_inner_frames() const noexcept { return inner_.size(); }

    // Audio thread: converts `frames` (<= max_block) outer samples; returns how
    // many inner frames are now in inner().
    std::size_t to_inner(const float *in, std::size_t frames) noexcept;

    // The inner frames of the last to_inner(), to be processed in place.
    float *inner() noexcept { return inner_.data(); }

    // Audio thread: converts the inner frames back and writes exactly `frames`
    // outer samples (the count given to the matching to_inner()).
    void from_inner(float *out, std::size_t frames) noexcept;

    void reset() noexcept;

private:
    Resampler up_, down_;
    std::size_t latency_ = 0, inner_frames_ = 0;
    std::vector<float> inner_, returned_;
    // FIFO of outer samples waiting to leave (ring).
    std::vector<float> fifo_;
    std::size_t fifo_read_ = 0, fifo_size_ = 0;
};

}  // namespace pedal::dsp
