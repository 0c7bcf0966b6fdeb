// A knob value that glides instead of jumping. Any thread sets the target
// (one relaxed atomic store, lock-free); the audio thread moves the current
// value towards it in a straight line over a fixed ramp time, so a gain or an
// EQ setting never steps audibly ("zipper noise").
//
// Why linear and not one-pole: a linear ramp ends exactly on the target after
// `ramp` samples (the filter recomputation it drives can stop), and its largest
// per-sample step is known in advance: |target - current| / ramp samples. A new
// target mid-ramp starts a fresh ramp from wherever the value is, so the bound
// holds for any sequence of knob moves.
//
//   Smoothed gain;                  // control side: gain.set_target(0.5f);
//   gain.prepare(48000.0, 20.0);    // audio side:   gain.apply(buffer, frames);
#pragma once

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstddef>

namespace pedal::dsp {

class Smoothed {
public:
    static_assert(std::atomic<float>::is_always_lock_free, "the hand-off must not lock");

    // Shortest ramp accepted: below ~5 ms a full-scale step is audible as a click.
    static constexpr double kMinRampMs = 5.0;

    explicit Smoothed(float initial = 0.0f) : target_(initial), current_(initial), destination_(initial) {}

    // Ramp length in milliseconds (at least kMinRampMs). Not for the audio thread
    // while it runs this object; keeps the current value.
    void prepare(double sample_rate, double ramp_ms = 20.0) {
        const double samples = sample_rate * std::max(ramp_ms, kMinRampMs) / 1000.0;
        ramp_samples_ = std::max(1L, std::lround(samples));
        remaining_ = 0;
        current_ = destination_;
    }

    // Any thread. Non-finite targets are ignored (a corrupt knob must not reach the audio).
    void set_target(float value) noexcept {
        if (std::isfinite(value)) target_.store(value, std::memory_order_relaxed);
    }

    float target() const noexcept { return target_.load(std::memory_order_relaxed); }

    // Jumps to the target now: for the first block, or after a reset of the chain.
    void snap() noexcept {
        destination_ = current_ = target();
        remaining_ = 0;
    }

    float current() const noexcept { return current_; }

    // True while a ramp is under way or a new target waits to be picked up.
    bool moving() const noexcept { return remaining_ > 0 || target() != destination_; }

    // Audio thread: the value for the next sample.
    float next() noexcept {
        pick_up_target();
        step(1);
        return current_;
    }

    // Audio thread: advances `frames` samples at once and returns the value
    // reached, for settings applied once per sub-block (filter coefficients).
    float skip(std::size_t frames) noexcept {
        pick_up_target();
        step(static_cast<long>(std::min<std::size_t>(frames, static_cast<std::size_t>(ramp_samples_))));
        return current_;
    }

    // Audio thread: multiplies `io` by the gliding value, sample by sample.
    void apply(float *io, std::size_t frames) noexcept {
        pick_up_target();
        std::size_t i = 0;
        for (; i < frames && remaining_ > 0; ++i) {
            step(1);
            io[i] *= current_;
        }
        const float settled = current_;
        for (; i < frames; ++i) io[i] *= settled;
    }

private:
    // The target is read once per call: a knob move lands within one block.
    void pick_up_target() noexcept {
        const float t = target();
        if (t == destination_) return;
        destination_ = t;
        remaining_ = ramp_samples_;
        increment_ = (static_cast<double>(t) - current_) / static_cast<double>(ramp_samples_);
        position_ = current_;
    }

    void step(long samples) noexcept {
        if (remaining_ <= 0) return;
        const long n = std::min(samples, remaining_);
        remaining_ -= n;
        // Kept in double so 10^4 steps add no visible rounding; the last step
        // lands exactly on the destination.
        position_ += increment_ * static_cast<double>(n);
        current_ = remaining_ == 0 ? destination_ : static_cast<float>(position_);
    }

    std::atomic<float> target_;
    float current_;
    float destination_;  // the target the current ramp heads for (audio thread only)
    double position_ = 0.0, increment_ = 0.0;
    long ramp_samples_ = 1, remaining_ = 0;
};

}  // namespace pedal::dsp
