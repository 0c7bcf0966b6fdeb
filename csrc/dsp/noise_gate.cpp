#include "dsp/noise_gate.h"

#include <algorithm>
#include <cmath>

namespace pedal::dsp {

namespace {

float clamped(float v, const SettingRange &range) {
    return std::isfinite(v) ? range.clamp(v) : static_cast<float>(range.min);
}

float level_of_db(double db) { return static_cast<float>(std::pow(10.0, db / 20.0)); }

// Below this the envelope is zero: it decays geometrically and would otherwise
// walk into the subnormals (see flush.h). -400 dBFS, far under any threshold.
constexpr float kEnvelopeFloor = 1e-20f;

}  // namespace

void NoiseGate::prepare(double sample_rate) {
    rate_ = sample_rate;
    detector_decay_ = static_cast<float>(std::exp(-1000.0 / (kDetectorMs * sample_rate)));
    seen_[0] = std::nanf("");  // forces update_settings() to derive everything
    update_settings();
    reset();
}

void NoiseGate::reset() noexcept {
    envelope_ = 0.0f;
    gain_ = 0.0f;
    hold_left_ = 0;
    open_ = false;
}

void NoiseGate::update_settings() noexcept {
    const float now[5] = {threshold_db_.load(std::memory_order_relaxed), hysteresis_db_.load(std::memory_order_relaxed),
                          attack_ms_.load(std::memory_order_relaxed), hold_ms_.load(std::memory_order_relaxed),
                          release_ms_.load(std::memory_order_relaxed)};
    if (std::equal(now, now + 5, seen_)) return;
    std::copy(now, now + 5, seen_);
    const float threshold = clamped(now[0], kThresholdDb), hysteresis = clamped(now[1], kHysteresisDb);
    open_level_ = level_of_db(threshold);
    close_level_ = level_of_db(threshold - hysteresis);
    const double per_ms = rate_ / 1000.0;
    attack_step_ = static_cast<float>(1.0 / std::max(1.0, clamped(now[2], kAttackMs) * per_ms));
    hold_samples_ = std::lround(clamped(now[3], kHoldMs) * per_ms);
    release_step_ = static_cast<float>(1.0 / std::max(1.0, clamped(now[4], kReleaseMs) * per_ms));
}

void NoiseGate::process(const float *in, float *out, std::size_t frames) noexcept {
    update_settings();
    float envelope = envelope_, gain = gain_;
    long hold_left = hold_left_;
    bool open = open_;
    for (std::size_t i = 0; i < frames; ++i) {
        const float x = std::isfinite(in[i]) ? in[i] : 0.0f;
        // Peak follower: instant rise, exponential fall.
        envelope = std::max(std::fabs(x), envelope * detector_decay_);
        if (envelope < kEnvelopeFloor) envelope = 0.0f;

        if (envelope >= open_level_) {
            open = true;
            hold_left = hold_samples_;
        } else if (open && envelope >= close_level_) {
            hold_left = hold_samples_;  // inside the hysteresis band: still a note
        } else if (open) {
            if (hold_left > 0) {
                --hold_left;
            } else {
                open = false;
            }
        }

        gain = open ? std::min(1.0f, gain + attack_step_) : std::max(0.0f, gain - release_step_);
        out[i] = x * gain;
    }
    envelope_ = envelope;
    gain_ = gain;
    hold_left_ = hold_left;
    open_ = open;
}

}  // namespace pedal::dsp
