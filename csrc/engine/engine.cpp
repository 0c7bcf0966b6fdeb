#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "engine/denormals.h"

namespace pedal::engine {

namespace {

constexpr double kSmoothingMs = 10.0;  // knob moves ramp over 10 ms: no zipper noise
// The limiter looks this far ahead; it is part of the chain's latency.
constexpr double kLimiterLookaheadMs = 0.25;
// Samples of an IR's pre-ringing kept when it must be resampled (see
// dsp/impulse_response.h: 32 keeps the response within -80 dB).
constexpr std::size_t kIrPreRing = 32;
// A change of cabinet (or to none) crossfades over this long: no step in the waveform.
constexpr double kIrFadeMs = 20.0;

static_assert(std::atomic<float>::is_always_lock_free, "parameters must be lock-free");
static_assert(std::atomic<double>::is_always_lock_free, "stats must be lock-free");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "stats must be lock-free");
static_assert(std::atomic<TunerMode>::is_always_lock_free, "the tuner's switch must be lock-free");

float db_to_gain(float db) { return std::pow(10.0f, db / 20.0f); }

float initial_gain(Param param) { return db_to_gain(static_cast<float>(range_of(param).initial)); }

float peak_of(const float *x, std::size_t n) {
    float peak = 0.0f;
    for (std::size_t i = 0; i < n; ++i) peak = std::max(peak, std::fabs(x[i]));
    return peak;
}

// Replaces NaN/Inf by 0; true if there were any.
bool scrub(float *x, std::size_t n) {
    bool found = false;
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) {
            x[i] = 0.0f;
            found = true;
        }
    }
    return found;
}

// The convolver's partition: the largest power of two within the engine's
// block (so whole blocks take the FFT path), kept in a sensible range.
std::size_t partition_for(std::size_t max_block) {
    std::size_t partition = dsp::ImpulseResponse::kMinPartition;
    while (partition * 2 <= std::min<std::size_t>(max_block, 1024)) partition *= 2;
    return partition;
}

unsigned whole_rate(double rate) { return static_cast<unsigned>(std::lround(rate)); }

}  // namespace

Engine::Engine(double sample_rate, std::size_t max_block)
    : sample_rate_(sample_rate), max_block_(max_block), partition_(partition_for(max_block)),
      models_(sample_rate, max_block), input_gain_(initial_gain(Param::InputGainDb)),
      output_level_(initial_gain(Param::OutputLevelDb)), bypass_correlation_(sample_rate),
      dry_delay_(static_cast<std::size_t>(0.050 * sample_rate)), dry_(max_block), wet_(max_block) {
    ir_ = new IrSlot();  // no cabinet until one is set
    input_gain_.prepare(sample_rate, kSmoothingMs);
    output_level_.prepare(sample_rate, kSmoothingMs);
    gate_.prepare(sample_rate);
    eq_.prepare(sample_rate);
    cabinet_.prepare(partition_, static_cast<std::size_t>(kMaxIrSeconds * sample_rate) + kIrPreRing,
                     static_cast<std::size_t>(kIrFadeMs / 1000.0 * sample_rate));
    dc_blocker_.prepare(sample_rate);
    limiter_.prepare(sample_rate, kLimiterLookaheadMs);
    tuner_.prepare(sample_rate);
    tuner_gain_.prepare(sample_rate, kSmoothingMs);
}

Engine::~Engine() {
    collect_garbage();
    delete ir_mail_.drain();
    delete ir_;
    delete previous_ir_;
    delete waiting_ir_;
}

std::uint64_t Engine::set_model(std::unique_ptr<ModelSlot> slot) {
    if (!slot) slot = std::make_unique<ModelSlot>();
    if (!slot->stages.empty()) {
        slot->id = next_id_.fetch_add(1);
        // A chain is warm once its last stage has heard the warmed output of
        // the ones before it: the receptive fields add up, in engine samples,
        // with what each stage's resampling delays.
        double field = 0.0;
        for (Stage &stage : slot->stages) {
            const double rate = stage.model_rate > 0.0 ? stage.model_rate : sample_rate_;
            stage.resampled = whole_rate(rate) != whole_rate(sample_rate_);
            if (stage.resampled && !stage.bridge.prepare(whole_rate(sample_rate_), whole_rate(rate), max_block_))
                stage.resampled = false;  // a ratio the resampler refuses: play it unresampled
            field += static_cast<double>(stage.model->receptive_field()) * sample_rate_ / rate;
        }
        slot->warmup = std::max(slot->warmup, static_cast<std::size_t>(std::ceil(field)) + slot->latency());
    }
    const std::uint64_t id = slot->id;
    slot->sound = std::move(staged_);
    posted_ = slot.get();
    models_.post(std::move(slot));
    collect_garbage();
    return id;
}

std::unique_ptr<IrSlot> Engine::prepare_ir(const float *samples, std::size_t frames, double rate, bool &usable) {
    usable = false;
    auto slot = std::make_unique<IrSlot>();
    if (frames > 0) {
        if (!(rate >= 8000.0 && rate <= 384000.0)) return nullptr;
        const bool resampled = whole_rate(rate) != whole_rate(sample_rate_);
        slot->ir = std::make_unique<dsp::ImpulseResponse>();
        const std::size_t longest = static_cast<std::size_t>(kMaxIrSeconds * sample_rate_);
        if (!slot->ir->prepare(samples, frames, whole_rate(rate), whole_rate(sample_rate_), partition_, longest,
                               resampled ? kIrPreRing : 0))
            return nullptr;
    }
    usable = true;
    return slot;
}

bool Engine::set_ir(const float *samples, std::size_t frames, double rate) {
    bool usable = false;
    std::unique_ptr<IrSlot> slot = prepare_ir(samples, frames, rate, usable);
    if (!usable) return false;
    delete ir_mail_.post(slot.release());
    collect_garbage();
    return true;
}

bool Engine::stage_param(Param param, float value) {
    if (static_cast<std::size_t>(param) >= kParamCount || !std::isfinite(value)) return false;
    if (!staged_) staged_ = std::make_unique<SlotSound>();
    staged_->params[static_cast<std::size_t>(param)] = value;
    return true;
}

bool Engine::stage_ir(const float *samples, std::size_t frames, double rate) {
    bool usable = false;
    std::unique_ptr<IrSlot> slot = prepare_ir(samples, frames, rate, usable);
    if (!usable) return false;
    if (!staged_) staged_ = std::make_unique<SlotSound>();
    staged_->ir = std::move(slot);
    return true;
}

void Engine::collect_garbage() {
    models_.collect_garbage();
    while (IrSlot *slot = retired_irs_.pop()) delete slot;
}

bool Engine::set_param(Param param, float value) noexcept {
    if (!std::isfinite(value)) return false;
    const bool on = value != 0.0f;
    switch (param) {
        case Param::InputGainDb: input_gain_.set_target(db_to_gain(range_of(param).clamp(value))); return true;
        case Param::OutputLevelDb: output_level_.set_target(db_to_gain(range_of(param).clamp(value))); return true;
        case Param::CrossfadeMs: crossfade_ms_.store(range_of(param).clamp(value)); return true;
        case Param::GateThresholdDb: gate_.set_threshold_db(value); return true;
        case Param::GateHysteresisDb: gate_.set_hysteresis_db(value); return true;
        case Param::GateAttackMs: gate_.set_attack_ms(value); return true;
        case Param::GateHoldMs: gate_.set_hold_ms(value); return true;
        case Param::GateReleaseMs: gate_.set_release_ms(value); return true;
        case Param::EqBassDb: eq_.set_bass_db(value); return true;
        case Param::EqMidDb: eq_.set_mid_db(value); return true;
        case Param::EqTrebleDb: eq_.set_treble_db(value); return true;
        case Param::LimiterCeilingDb: limiter_.set_ceiling_db(range_of(param).clamp(value)); return true;
        case Param::GateOn: gate_on_.store(on); return true;
        case Param::EqOn: eq_on_.store(on); return true;
        case Param::CabinetOn: cabinet_on_.store(on); return true;
        case Param::DcBlockerOn: dc_blocker_on_.store(on); return true;
        case Param::LimiterOn: limiter_on_.store(on); return true;
    }
    return false;
}

std::size_t Engine::fade_samples() const noexcept {
    return std::max<std::size_t>(1, static_cast<std::size_t>(crossfade_ms_.load() * 1e-3 * sample_rate_));
}

void Engine::process(const float *in, float *out, std::size_t n) noexcept {
    DenormalsFlushed flushed;
    while (n > 0) {
        const std::size_t chunk = std::min(n, max_block_);
        const auto begin = std::chrono::steady_clock::now();
        process_block(in, out, chunk);
        const std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - begin;
        stats_.record_block(peak_of(dry_.data(), chunk), peak_of(out, chunk), took.count());
        in += chunk;
        out += chunk;
        n -= chunk;
    }
}

void Engine::process_block(const float *in, float *out, std::size_t n) noexcept {
    float *dry = dry_.data();
    std::copy(in, in + n, dry);  // in may alias out
    if (scrub(dry, n)) stats_.count_bad_input();

    const TunerMode tuner = tuner_mode_.load(std::memory_order_relaxed);
    if (tuner != TunerMode::Off) tuner_.push(dry, n);

    float *wet = wet_.data();
    std::copy(dry, dry + n, wet);
    input_gain_.apply(wet, n);
    if (gate_on_.load(std::memory_order_relaxed)) gate_.process(wet, wet, n);
    models_.process(wet, wet, n, fade_samples());
    if (ModelSlot *fading_in = models_.take_fade_begun()) apply_sound(*fading_in);
    mute_if_not_finite(wet, n);  // a model that blew up
    if (eq_on_.load(std::memory_order_relaxed)) eq_.process(wet, wet, n);
    swap_ir(n);
    // Run without an IR too (it passes the signal through), so its input history is current
    // when one is set and a fade to or from none has both sides.
    if (cabinet_on_.load(std::memory_order_relaxed)) cabinet_.process(wet, wet, n);
    output_level_.apply(wet, n);
    if (dc_blocker_on_.load(std::memory_order_relaxed)) dc_blocker_.process(wet, wet, n);
    if (limiter_on_.load(std::memory_order_relaxed)) limiter_.process(wet, wet, n);
    const std::size_t latency = chain_latency();
    dry_delay_.process(dry, dry, n, latency);
    apply_bypass(dry, wet, n, tuner == TunerMode::Through);
    if (tuner_gain_.moving() || tuner_gain_.current() != 1.0f) tuner_gain_.apply(wet, n);

    mute_if_not_finite(wet, n);  // last line of defence, should any block misbehave
    std::copy(wet, wet + n, out);
    stats_.set_state(models_.playing_id(), bypass_target_.load(std::memory_order_relaxed), models_.changing(),
                     static_cast<double>(latency));
}

std::size_t Engine::chain_latency() const noexcept {
    return models_.latency() + (limiter_on_.load(std::memory_order_relaxed) ? limiter_.latency() : 0) +
           (ir_->ir && cabinet_on_.load(std::memory_order_relaxed) ? ir_->ir->lead() : 0);
}

// A block holding NaN or Inf must not reach the speakers, nor hide in the
// blocks after it (the limiter would turn NaN into silence): it is muted whole
// and the chain starts again from rest.
void Engine::mute_if_not_finite(float *wet, std::size_t n) noexcept {
    if (!scrub(wet, n)) return;
    std::fill(wet, wet + n, 0.0f);
    reset_chain();
    stats_.count_muted();
}

void Engine::reset_chain() noexcept {
    models_.reset();
    gate_.reset();
    eq_.reset();
    cabinet_.reset();
    dc_blocker_.reset();
    limiter_.reset();
    dry_delay_.reset();
}

bool Engine::set_knob(std::size_t stage, std::size_t knob, float value) noexcept {
    if (!posted_ || stage >= posted_->stages.size()) return false;
    return posted_->stages[stage].model->set_knob(knob, value);
}

void Engine::swap_ir(std::size_t n) noexcept {
    frames_since_ir_swap_ += n;
    // The convolver reads the previous IR until its fade to the new one is over.
    if (previous_ir_ && frames_since_ir_swap_ > partition_ && !cabinet_.changing() &&
        retired_irs_.push(previous_ir_))
        previous_ir_ = nullptr;
    if (previous_ir_) return;  // one swap at a time
    if (waiting_ir_) {
        IrSlot *next = waiting_ir_;
        waiting_ir_ = nullptr;
        begin_ir_swap(next);
        return;
    }
    if (IrSlot *next = ir_mail_.take()) begin_ir_swap(next);
}

void Engine::begin_ir_swap(IrSlot *next) noexcept {
    cabinet_.set_ir(next->ir.get());
    previous_ir_ = ir_;
    ir_ = next;
    frames_since_ir_swap_ = 0;
}

// A chain begins to fade in: the settings staged with it change now, gliding
// and crossfading alongside it (parameters are atomics: no lock, no allocation).
void Engine::apply_sound(ModelSlot &slot) noexcept {
    if (!slot.sound) return;
    for (std::size_t i = 0; i < kParamCount; ++i)
        if (!std::isnan(slot.sound->params[i])) set_param(static_cast<Param>(i), slot.sound->params[i]);
    if (!slot.sound->ir) return;
    IrSlot *next = slot.sound->ir.release();  // the engine's now, returned through retired_irs_
    if (waiting_ir_) {
        if (!retired_irs_.push(waiting_ir_)) {  // no room to return the one waiting: keep it, drop the new
            slot.sound->ir.reset(next);
            return;
        }
    }
    waiting_ir_ = next;  // swapped in by swap_ir, later in this block or once the swap before it is done
}

void Engine::set_tuner(TunerMode mode) noexcept {
    if (mode != TunerMode::Off && tuner_mode_.load(std::memory_order_relaxed) == TunerMode::Off) tuner_.restart();
    tuner_gain_.set_target(mode == TunerMode::Mute ? 0.0f : 1.0f);
    tuner_mode_.store(mode, std::memory_order_relaxed);
}

dsp::Pitch Engine::read_tuner(double threshold_db) noexcept {
    if (tuner_mode_.load(std::memory_order_relaxed) == TunerMode::Off) return dsp::Pitch{};
    return tuner_.analyse(threshold_db);
}

void Engine::apply_bypass(const float *dry, float *out, std::size_t n, bool tuning_through) noexcept {
    bypass_correlation_.add(out, dry, n);
    const float goal = bypass_target_.load(std::memory_order_relaxed) || tuning_through ? 1.0f : 0.0f;
    if (bypass_mix_ == goal) {
        if (goal == 1.0f) std::copy(dry, dry + n, out);
        return;
    }
    if (bypass_mix_ == 0.0f || bypass_mix_ == 1.0f) bypass_fade_correlation_ = bypass_correlation_.value();
    const float step = 1.0f / static_cast<float>(fade_samples());
    for (std::size_t i = 0; i < n; ++i) {
        bypass_mix_ = goal > bypass_mix_ ? std::min(goal, bypass_mix_ + step) : std::max(goal, bypass_mix_ - step);
        const FadeGains g = fade_gains(bypass_mix_, bypass_fade_correlation_);
        out[i] = g.from * out[i] + g.to * dry[i];
    }
}

}  // namespace pedal::engine
