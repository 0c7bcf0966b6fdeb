// Convolution with a cabinet impulse response (up to a second or so), with no
// latency: uniformly partitioned FFT convolution with a frequency-domain delay
// line (FDL), partition size B = the engine's block.
//
// Why it adds no latency. Input block j's spectrum (FFT of the last 2B input
// samples) goes into the FDL; the output of block j is
//   IFFT( sum_p  S[j - p] H[p] ), last B samples  (overlap-save)
// where H[p] is the spectrum of IR partition p. Only p = 0 needs block j
// itself. So:
//  - a call that brings exactly one whole, aligned partition (the engine's
//    steady state) computes all of it in the frequency domain as soon as its
//    input is there: one FFT, P complex multiply-adds, one IFFT per block;
//  - any other call (smaller, or straddling a partition) computes partitions
//    1 .. P-1 from past spectra at the partition's start, and partition 0 by
//    direct time-domain convolution, sample by sample (B multiply-adds each).
// Both give the same samples (to float rounding); either way out[n] depends
// on in[n] within the same call.
//
// Non-finite input samples count as silence (they would otherwise spread
// through every spectrum in the FDL for the IR's whole length).
//
// Changing IR crossfades: from the partition boundary where the new IR is
// taken, the output slides linearly from the old IR's to the new one's over
// the fade (both computed from the same FDL, so the new IR starts with the
// whole input history, never from silence); no IR counts as an IR that passes
// the signal through. A cabinet change is then no step in the waveform. (An IR
// set before any audio has been through plays from the first sample.)
//
//   Convolver cab;  cab.prepare(64, 48000, 960); // off the audio thread
//   cab.set_ir(&prepared);                        // audio thread, lock-free
//   cab.process(buffer, buffer, frames);          // audio thread
#pragma once

#include <cstddef>
#include <vector>

#include "dsp/fft.h"
#include "dsp/impulse_response.h"

namespace pedal::dsp {

class Convolver {
public:
    // Off the audio thread: partition size B (a power of two, see
    // ImpulseResponse), the longest IR (engine-rate frames) to make room for,
    // and how many frames a change of IR crossfades over (0: switches at once).
    bool prepare(std::size_t partition, std::size_t max_ir_frames, std::size_t fade_frames = 0);

    // Audio thread (or before it starts): the IR to fade to from the next
    // partition boundary; nullptr passes the signal through unchanged. Never
    // allocates. False, keeping the current IR, when `ir` was made for another
    // partition size or is longer than prepared for. The IR it replaces must
    // stay alive until changing() is false once more (the engine frees IRs on
    // its control thread after that).
    bool set_ir(const ImpulseResponse *ir) noexcept;

    // True from set_ir() until the fade to that IR is over: the previous IR is
    // still read.
    bool changing() const noexcept { return pending_ != active_ || fading_; }

    // Audio thread: any frame count, in == out allowed, never allocates.
    void process(const float *in, float *out, std::size_t frames) noexcept;

    // Audio thread: forgets all input (the IR stays set).
    void reset() noexcept;

    static constexpr std::size_t latency() noexcept { return 0; }
    std::size_t partition() const noexcept { return partition_; }

private:
    void push_spectrum() noexcept;
    void accumulate(const ImpulseResponse &ir, std::size_t first_partition) noexcept;
    void whole_partition(const float *in, float *out) noexcept;
    void whole_output(const ImpulseResponse *ir, const float *current, float *out) noexcept;
    void partial_tail(const ImpulseResponse *ir, float *tail) noexcept;
    void begin_partition() noexcept;
    float fade_gain(std::size_t at) const noexcept;

    std::size_t partition_ = 0, stride_ = 0, slots_ = 0, fade_frames_ = 0;
    RealFft fft_;
    const ImpulseResponse *pending_ = nullptr, *active_ = nullptr;
    const ImpulseResponse *fading_from_ = nullptr;  // while fading_: the IR faded out
    bool fading_ = false;
    bool started_ = false;         // audio has been through since prepare(): a new IR fades in
    std::size_t faded_ = 0;        // frames of the fade done at the current partition's start

    std::vector<float> input_;     // 2B: the previous partition's input, then the current one
    std::size_t position_ = 0;     // frames of the current partition already in
    std::vector<float> fdl_;       // slots_ spectra (stride_ re, stride_ im), a ring
    std::size_t newest_ = 0;       // slot of the newest spectrum
    std::vector<float> sum_;       // stride_ re, stride_ im
    std::vector<float> time_;      // 2B: inverse FFT output
    std::vector<float> tail_;      // B: partitions 1.. of the current partition, time domain
    std::vector<float> from_out_;  // B: while fading, the old IR's output (tail, or whole partition)
};

}  // namespace pedal::dsp
