// An impulse response made ready for the Convolver: resampled to the engine's
// rate, cut into partitions of the engine's block, each partition's spectrum
// computed once. Built off the audio thread (it allocates); the audio thread
// only reads it, so the engine can build the next one while this one plays and
// swap pointers (Convolver::set_ir) without a lock.
//
//   ImpulseResponse cab;
//   cab.prepare(samples, count, 44100, 48000, 64, 48000);  // control side
//   convolver.set_ir(&cab);                                // audio side
#pragma once

#include <cstddef>
#include <vector>

namespace pedal::dsp {

class ImpulseResponse {
public:
    // Partition sizes accepted (powers of two).
    static constexpr std::size_t kMinPartition = 8, kMaxPartition = 8192;

    // `frames` samples at `ir_rate`, for an engine at `engine_rate` running
    // blocks of `partition` frames. Longer than `max_frames` (after resampling):
    // cut, with a short fade-out. False if frames is 0, a sample is not finite,
    // the partition is not a power of two within the limits, or the rates are
    // refused.
    //
    // Resampling (rates differ) keeps the frequency response (samples scaled by
    // ir_rate / engine_rate). A band-limited copy of an IR that starts abruptly
    // rings slightly *before* its first sample; `pre_ring` says how many of those
    // engine-rate samples to keep, each delaying the IR by one sample (lead()).
    // 0 adds no delay and drops them: for an IR loud from its first sample the
    // response is then off by -30 to -45 dB (relative to its RMS) below 10 kHz
    // and -23 to -35 dB up to 18 kHz. 24 keeps it within -65 dB, 32 (about the
    // filter's half length at 44.1k <-> 48k) within -80 dB. An IR with 20 or
    // more samples of leading silence loses nothing either way.
    bool prepare(const float *ir, std::size_t frames, unsigned ir_rate, unsigned engine_rate, std::size_t partition,
                 std::size_t max_frames, std::size_t pre_ring = 0);

    std::size_t frames() const noexcept { return frames_; }        // at the engine rate
    std::size_t partition() const noexcept { return partition_; }
    std::size_t partitions() const noexcept { return partitions_; }
    // Samples of delay added by resampling (the pre-ringing kept).
    std::size_t lead() const noexcept { return lead_; }

    // The IR at the engine rate (what the convolver convolves with).
    const std::vector<float> &samples() const noexcept { return samples_; }

private:
    friend class Convolver;

    std::size_t frames_ = 0, partition_ = 0, partitions_ = 0, lead_ = 0;
    std::size_t stride_ = 0;   // floats per spectrum half: bins rounded up to 16
    std::vector<float> samples_;
    std::vector<float> head_;     // the first partition, time-reversed, for the direct path
    std::vector<float> spectra_;  // per partition: stride_ re, then stride_ im
};

}  // namespace pedal::dsp
