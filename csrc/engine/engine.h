// The signal chain around the model, run by the audio thread:
//
//   input guard -> input gain -> noise gate -> [resample to the model's rate
//   -> model -> resample back] -> tone EQ -> cabinet IR -> output level
//   -> DC blocker -> limiter -> bypass fade (with the dry signal delayed by
//   the chain's latency, so both are aligned) -> tuner's mute -> output guard
//
// While tuning, the guarded input also goes to the tuner's pitch detector,
// and the output is muted (a 10 ms ramp) or bypassed, as the player chose.
//
// Models and impulse responses are prepared on the control side and handed
// over without locks (warm-up and crossfade for models); parameters are atomics
// that the blocks smooth. Everything the audio thread touches is sized in the
// constructor or arrives prepared, and what it lets go of is freed by the
// control side (collect_garbage).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dsp/convolver.h"
#include "dsp/dc_blocker.h"
#include "dsp/limiter.h"
#include "dsp/noise_gate.h"
#include "dsp/pitch_detector.h"
#include "dsp/smoothed.h"
#include "dsp/tone_eq.h"
#include "engine/crossfade.h"
#include "engine/delay_line.h"
#include "engine/handoff.h"
#include "engine/ir_slot.h"
#include "engine/model_handoff.h"
#include "engine/model_slot.h"
#include "engine/params.h"
#include "engine/stats.h"

namespace pedal::engine {

// What the output does while the tuner listens.
enum class TunerMode { Off, Mute, Through };

class Engine {
public:
    // Longest cabinet impulse response kept (longer ones are cut with a fade).
    static constexpr double kMaxIrSeconds = 1.0;

    Engine(double sample_rate, std::size_t max_block);
    ~Engine();
    Engine(const Engine &) = delete;
    Engine &operator=(const Engine &) = delete;

    // Audio thread. Any n (worked through in max_block pieces); in == out allowed.
    void process(const float *in, float *out, std::size_t n) noexcept;

    // Control side (one thread at a time). Takes ownership of the slot (a
    // chain of captures; none: the input passes through) and prepares each
    // stage's resampling; it starts playing after its warm-up and a
    // crossfade. Returns the id the stats report while it plays.
    std::uint64_t set_model(std::unique_ptr<ModelSlot> slot);
    // Control side. A mono IR at `rate`; false (and nothing changes) when the
    // samples are unusable. An empty IR (frames 0) turns the cabinet off.
    bool set_ir(const float *samples, std::size_t frames, double rate);
    // Control side: a parameter, or the cabinet, to change with the next slot
    // handed to set_model, when it begins to fade in (slot_sound.h). False for
    // an unknown parameter, a non-finite value or unusable IR samples.
    bool stage_param(Param param, float value);
    bool stage_ir(const float *samples, std::size_t frames, double rate);
    // Control side: frees models and IRs the audio thread has finished with.
    void collect_garbage();
    // Control side: turns a knob of a stage of the slot last handed to set_model
    // (it glides there, see models/knob_inputs.h). False when there is no such
    // stage or knob, or the value is not finite.
    bool set_knob(std::size_t stage, std::size_t knob, float value) noexcept;

    // Any thread.
    void set_bypass(bool on) noexcept { bypass_target_.store(on, std::memory_order_relaxed); }
    // Values are clamped to their ranges (params.h). False for an unknown parameter or a non-finite value.
    bool set_param(Param param, float value) noexcept;
    // Any thread. Off -> listening: the detector starts afresh (no stale note).
    void set_tuner(TunerMode mode) noexcept;
    TunerMode tuner() const noexcept { return tuner_mode_.load(std::memory_order_relaxed); }
    // One control thread: the pitch of the last 85 ms of input heard while tuning
    // (dsp/pitch_detector.h); no note below threshold_db or with the tuner off.
    dsp::Pitch read_tuner(double threshold_db) noexcept;
    StatsSnapshot stats() noexcept { return stats_.read(); }
    double latency() const noexcept { return stats_.latency(); }

    double sample_rate() const { return sample_rate_; }
    std::size_t max_block() const { return max_block_; }

private:
    void process_block(const float *in, float *out, std::size_t n) noexcept;
    void swap_ir(std::size_t n) noexcept;
    void begin_ir_swap(IrSlot *next) noexcept;
    void apply_sound(ModelSlot &slot) noexcept;
    std::unique_ptr<IrSlot> prepare_ir(const float *samples, std::size_t frames, double rate, bool &usable);
    void apply_bypass(const float *dry, float *out, std::size_t n, bool tuning_through) noexcept;
    void mute_if_not_finite(float *wet, std::size_t n) noexcept;
    void reset_chain() noexcept;
    std::size_t chain_latency() const noexcept;
    std::size_t fade_samples() const noexcept;

    const double sample_rate_;
    const std::size_t max_block_;
    const std::size_t partition_;  // the cabinet convolver's partition size

    ModelHandoff models_;                    // what plays, and the change to the next one
    // The slot last posted (control side's): alive until a later one is posted,
    // since the audio thread returns a slot only once another has replaced it.
    const ModelSlot *posted_ = nullptr;
    std::atomic<std::uint64_t> next_id_{1};  // set_model's ids

    // Cabinet IR hand-off: the convolver may read the previous IR until a
    // partition boundary has passed, so it is returned only after that.
    Mailbox<IrSlot> ir_mail_;
    ReturnQueue<IrSlot, 16> retired_irs_;
    IrSlot *ir_ = nullptr, *previous_ir_ = nullptr;  // audio thread's
    IrSlot *waiting_ir_ = nullptr;  // audio thread's: a chain's cabinet, until the swap before it is done
    std::unique_ptr<SlotSound> staged_;  // control side's: goes with the next set_model
    std::size_t frames_since_ir_swap_ = 0;

    dsp::Smoothed input_gain_, output_level_;  // linear gains, starting at the table's dB
    dsp::NoiseGate gate_;
    dsp::ToneEq eq_;
    dsp::Convolver cabinet_;
    dsp::DcBlocker dc_blocker_;
    dsp::Limiter limiter_;
    // Each starts at its parameter's default (params.h).
    std::atomic<bool> gate_on_{range_of(Param::GateOn).initial != 0.0}, eq_on_{range_of(Param::EqOn).initial != 0.0},
        cabinet_on_{range_of(Param::CabinetOn).initial != 0.0},
        dc_blocker_on_{range_of(Param::DcBlockerOn).initial != 0.0},
        limiter_on_{range_of(Param::LimiterOn).initial != 0.0};
    std::atomic<float> crossfade_ms_{static_cast<float>(range_of(Param::CrossfadeMs).initial)};

    std::atomic<TunerMode> tuner_mode_{TunerMode::Off};
    dsp::PitchDetector tuner_;
    dsp::Smoothed tuner_gain_{1.0f};  // 0 while tuning muted

    std::atomic<bool> bypass_target_{false};
    float bypass_mix_ = 0.0f;  // 0 = effect, 1 = dry
    CorrelationMeter bypass_correlation_;  // effect vs dry, always running
    DelayLine dry_delay_;                  // the dry signal, as late as the effect
    float bypass_fade_correlation_ = 0.0f;

    Stats stats_;
    std::vector<float> dry_, wet_;  // max_block each
};

}  // namespace pedal::engine
