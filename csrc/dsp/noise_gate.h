// Silences the hiss and hum between notes. An envelope follower watches the
// input; the gate opens when the envelope rises above the threshold and closes
// only once it has stayed below threshold - hysteresis for the hold time, so a
// decaying note does not chatter across the threshold. The gain then glides
// linearly: 0 -> 1 over the attack, 1 -> 0 over the release, never stepping.
// Closed means silent (gain exactly 0).
//
// Settings are set from any thread (lock-free atomics) and picked up at the
// start of the next process() call.
//
//   NoiseGate gate;  gate.prepare(48000.0);       // off the audio thread
//   gate.set_threshold_db(-65.0f);                // any thread
//   gate.process(buffer, buffer, frames);         // audio thread
#pragma once

#include <atomic>
#include <cstddef>

#include "dsp/setting_range.h"

namespace pedal::dsp {

class NoiseGate {
public:
    // The follower's decay: slow enough that a low E (12 ms period) keeps the
    // envelope within 3 dB of its peaks, fast enough to follow a muted string.
    static constexpr double kDetectorMs = 20.0;

    // The settings' ranges and starting values (the engine's table lists them).
    static constexpr SettingRange kThresholdDb{-120.0, 0.0, -70.0};  // dBFS
    static constexpr SettingRange kHysteresisDb{0.0, 30.0, 6.0};
    static constexpr SettingRange kAttackMs{0.1, 5000.0, 1.0};
    static constexpr SettingRange kHoldMs{0.0, 5000.0, 50.0};
    static constexpr SettingRange kReleaseMs{0.1, 5000.0, 80.0};

    // Off the audio thread. Starts closed.
    void prepare(double sample_rate);

    // Any thread. Threshold in dBFS, hysteresis in dB, times in milliseconds;
    // each clamped to its range above (a non-finite value reads as its minimum).
    void set_threshold_db(float db) noexcept { threshold_db_.store(db, std::memory_order_relaxed); }
    void set_hysteresis_db(float db) noexcept { hysteresis_db_.store(db, std::memory_order_relaxed); }
    void set_attack_ms(float ms) noexcept { attack_ms_.store(ms, std::memory_order_relaxed); }
    void set_hold_ms(float ms) noexcept { hold_ms_.store(ms, std::memory_order_relaxed); }
    void set_release_ms(float ms) noexcept { release_ms_.store(ms, std::memory_order_relaxed); }

    // Audio thread: closed, envelope forgotten.
    void reset() noexcept;

    // Audio thread: any frame count, in == out allowed, never allocates. A
    // non-finite input sample is treated as silence (it comes out as 0).
    void process(const float *in, float *out, std::size_t frames) noexcept;

    float gain() const noexcept { return gain_; }
    bool is_open() const noexcept { return open_; }

private:
    void update_settings() noexcept;

    std::atomic<float> threshold_db_{static_cast<float>(kThresholdDb.initial)},
        hysteresis_db_{static_cast<float>(kHysteresisDb.initial)}, attack_ms_{static_cast<float>(kAttackMs.initial)},
        hold_ms_{static_cast<float>(kHoldMs.initial)}, release_ms_{static_cast<float>(kReleaseMs.initial)};

    // Derived on the audio thread from the settings last seen (`seen_`).
    float seen_[5] = {};
    double rate_ = 48000.0;
    float open_level_ = 0.0f, close_level_ = 0.0f;  // linear envelope levels
    float attack_step_ = 1.0f, release_step_ = 1.0f;  // gain change per sample
    long hold_samples_ = 0;
    float detector_decay_ = 0.0f;

    float envelope_ = 0.0f, gain_ = 0.0f;
    long hold_left_ = 0;
    bool open_ = false;
};

}  // namespace pedal::dsp
