// The signal chain around the model, run by the audio thread:
//   input guard -> input gain -> model (with warm-up and crossfade on change)
//   -> output level -> bypass fade -> output guard
// Parameters and models arrive from other threads without locks; everything
// the audio thread touches is sized in the constructor.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/crossfade.h"
#include "engine/handoff.h"
#include "engine/model_slot.h"
#include "engine/stats.h"

namespace pedal::engine {

enum class Param {
    InputGainDb,     // before the model, -40..+40 dB
    OutputLevelDb,   // master level, -60..+12 dB
    CrossfadeMs,     // model change and bypass fades, 10..50 ms
};

class Engine {
public:
    Engine(double sample_rate, std::size_t max_block);
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    // Audio thread. Any n (worked through in max_block pieces); in == out allowed.
    void process(const float *in, float *out, std::size_t n) noexcept;

    // Control side (one thread at a time). Takes ownership of the slot; it
    // starts playing after its warm-up and a crossfade. Returns the id the
    // stats report while it plays. Frees what the audio thread has finished with.
    std::uint64_t set_model(std::unique_ptr<ModelSlot> slot);
    void collect_garbage();

    // Any thread.
    void set_bypass(bool on) noexcept { bypass_target_.store(on, std::memory_order_relaxed); }
    // Values are clamped to the ranges above. Returns false for an unknown parameter.
    bool set_param(Param param, float value) noexcept;
    StatsSnapshot stats() noexcept { return stats_.read(); }
    double latency() const noexcept { return stats_.latency(); }

    double sample_rate() const { return sample_rate_; }
    std::size_t max_block() const { return max_block_; }

private:
    struct Ramp {  // a smoothed gain: every change of target takes kSmoothingSeconds
        std::atomic<float> target{1.0f};
        float current = 1.0f, heading = 1.0f, step = 0.0f;  // audio thread's
        std::size_t steps_left = 0;
    };

    void process_block(const float *in, float *out, std::size_t n) noexcept;
    void run_models(const float *in, float *wet, std::size_t n) noexcept;
    void apply_ramp(Ramp &ramp, float *x, std::size_t n) noexcept;
    void apply_bypass(const float *dry, float *out, std::size_t n) noexcept;
    void retire(ModelSlot *slot) noexcept;
    std::size_t fade_samples() const noexcept;

    const double sample_rate_;
    const std::size_t max_block_;

    // Model hand-off: new slots arrive in the mailbox; used ones leave by the return queue.
    Mailbox<ModelSlot> incoming_mail_;
    ReturnQueue<ModelSlot, 16> retired_;
    ModelSlot *current_ = nullptr;   // audio thread's
    ModelSlot *incoming_ = nullptr;  // audio thread's: warming up or fading in
    ModelSlot *retiring_ = nullptr;  // audio thread's: waiting for room in retired_
    std::size_t warmup_left_ = 0, fade_position_ = 0;
    CorrelationMeter switch_correlation_;  // old vs new model, measured during warm-up
    float fade_correlation_ = 0.0f;        // frozen when a fade starts
    std::atomic<std::uint64_t> next_id_{1};

    Ramp input_gain_, output_level_;
    std::atomic<float> crossfade_ms_{30.0f};
    std::atomic<bool> bypass_target_{false};
    float bypass_mix_ = 0.0f;  // 0 = effect, 1 = dry
    CorrelationMeter bypass_correlation_;  // effect vs dry, always running
    float bypass_fade_correlation_ = 0.0f;

    Stats stats_;
    std::vector<float> dry_, wet_, incoming_out_;  // max_block each
};

}  // namespace pedal::engine
