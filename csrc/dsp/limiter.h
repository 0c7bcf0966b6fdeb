// The last block of the chain: whatever the model, the EQ or the cabinet did,
// no sample leaves louder than the ceiling (default -0.3 dBFS), and the gain
// that keeps it there moves smoothly instead of clipping.
//
// How, per sample n, with W = lookahead + 1:
//   need[n]  = min(1, ceiling / |x[n]|)                  the gain x[n] needs
//   held[n]  = min(need[n-W+1 .. n])                     sliding minimum (monotonic deque)
//   rel[n]   = min(held[n], rel[n-1] + (1 - rel[n-1]) c) one-pole release towards 1
//   gain[n]  = mean(rel[n-W+1 .. n])                     box filter: a linear fade-in
//   out[n]   = x[n-W+1] * gain[n]
// Every rel[] averaged for out[n] held need[n-W+1], so gain[n] <= need[n-W+1]:
// the delayed sample fits under the ceiling exactly, with the reduction faded in
// over W samples (|gain[n] - gain[n-1]| <= 1/W). A final clamp at the ceiling
// catches float rounding and the first W samples after the ceiling is lowered.
//
// Latency: `lookahead` samples (1 ms by default: 48 at 48 kHz), reported by latency().
// Non-finite input samples are treated as silence, so the output is always
// finite and within the ceiling.
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "dsp/setting_range.h"

namespace pedal::dsp {

class Limiter {
public:
    // What the limiter itself accepts; the engine offers a narrower range (engine/params.h).
    static constexpr SettingRange kCeilingDb{-60.0, 0.0, -0.3};  // dBFS

    // Off the audio thread: sizes the delay lines. Unity gain, no history.
    void prepare(double sample_rate, double lookahead_ms = 1.0);

    // Any thread; picked up at the next process(). Ceiling in dBFS (clamped to
    // kCeilingDb), release in ms (clamped to [1, 5000]).
    void set_ceiling_db(float db) noexcept { ceiling_db_.store(db, std::memory_order_relaxed); }
    void set_release_ms(float ms) noexcept { release_ms_.store(ms, std::memory_order_relaxed); }

    // Samples between a sample going in and the same sample coming out.
    std::size_t latency() const noexcept { return window_ - 1; }

    // Audio thread: silence in the delay line, unity gain.
    void reset() noexcept;

    // Audio thread: any frame count, in == out allowed, never allocates.
    void process(const float *in, float *out, std::size_t frames) noexcept;

    // The gain applied to the last sample (1 = not limiting), for a meter.
    float gain() const noexcept { return static_cast<float>(last_gain_); }

private:
    void update_settings() noexcept;
    double sliding_minimum(double need) noexcept;

    std::atomic<float> ceiling_db_{static_cast<float>(kCeilingDb.initial)}, release_ms_{60.0f};
    float seen_ceiling_db_ = 1.0f, seen_release_ms_ = -1.0f;
    double rate_ = 48000.0, ceiling_ = 1.0, release_ = 1.0;

    std::size_t window_ = 1;       // W
    std::vector<float> delay_;     // the last W input samples
    std::vector<double> averaged_;  // the last W values of rel[]
    std::size_t position_ = 0;      // ring index shared by delay_ and averaged_
    double sum_ = 0.0;              // of averaged_, re-summed each lap against drift
    double released_ = 1.0;         // rel[n-1]
    double last_gain_ = 1.0;

    // Monotonic deque for the sliding minimum: (sample count, need), needs
    // increasing from front to back; ring of W entries.
    std::vector<double> deque_need_;
    std::vector<unsigned long long> deque_time_;
    std::size_t deque_front_ = 0, deque_size_ = 0;
    unsigned long long time_ = 0;
};

}  // namespace pedal::dsp
