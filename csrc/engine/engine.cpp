#include "engine/engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "engine/denormals.h"

namespace pedal::engine {

namespace {

constexpr double kSmoothingSeconds = 0.010;  // knob moves ramp over 10 ms: no zipper noise
// A new model warms up for at least this long, so its correlation with the
// old one is measured before the crossfade (and a long receptive field is filled).
constexpr double kMinimumWarmupSeconds = 0.010;

static_assert(std::atomic<float>::is_always_lock_free, "parameters must be lock-free");
static_assert(std::atomic<double>::is_always_lock_free, "stats must be lock-free");
static_assert(std::atomic<std::uint64_t>::is_always_lock_free, "stats must be lock-free");

float db_to_gain(float db) { return std::pow(10.0f, db / 20.0f); }

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

}  // namespace

Engine::Engine(double sample_rate, std::size_t max_block)
    : sample_rate_(sample_rate), max_block_(max_block), switch_correlation_(sample_rate),
      bypass_correlation_(sample_rate), dry_(max_block), wet_(max_block), incoming_out_(max_block) {
    current_ = new ModelSlot();  // the empty slot: input passes through until a model arrives
}

Engine::~Engine() {
    collect_garbage();
    delete incoming_mail_.drain();
    delete current_;
    delete incoming_;
    delete retiring_;
}

std::uint64_t Engine::set_model(std::unique_ptr<ModelSlot> slot) {
    if (!slot) slot = std::make_unique<ModelSlot>();
    slot->id = slot->model ? next_id_.fetch_add(1) : 0;
    if (slot->model && slot->warmup == 0) slot->warmup = slot->model->receptive_field();
    const std::uint64_t id = slot->id;
    delete incoming_mail_.post(slot.release());  // a slot not yet taken is superseded
    collect_garbage();
    return id;
}

void Engine::collect_garbage() {
    while (ModelSlot *slot = retired_.pop()) delete slot;
}

bool Engine::set_param(Param param, float value) noexcept {
    if (!std::isfinite(value)) return false;
    switch (param) {
        case Param::InputGainDb:
            input_gain_.target.store(db_to_gain(std::clamp(value, -40.0f, 40.0f)));
            return true;
        case Param::OutputLevelDb:
            output_level_.target.store(db_to_gain(std::clamp(value, -60.0f, 12.0f)));
            return true;
        case Param::CrossfadeMs:
            crossfade_ms_.store(std::clamp(value, 10.0f, 50.0f));
            return true;
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

    float *wet = wet_.data();
    std::copy(dry, dry + n, wet);
    apply_ramp(input_gain_, wet, n);
    run_models(wet, wet, n);
    apply_ramp(output_level_, wet, n);
    apply_bypass(dry, wet, n);

    // A model that blew up must not reach the speakers: mute this block and
    // start the models again from rest.
    if (scrub(wet, n)) {
        std::fill(wet, wet + n, 0.0f);
        current_->reset();
        if (incoming_) incoming_->reset();
        stats_.count_muted();
    }
    std::copy(wet, wet + n, out);
    stats_.set_state(current_->id, bypass_target_.load(std::memory_order_relaxed), incoming_ != nullptr, 0.0);
}

void Engine::run_models(const float *in, float *wet, std::size_t n) noexcept {
    if (retiring_ && retired_.push(retiring_)) retiring_ = nullptr;
    if (!incoming_ && !retiring_) {
        incoming_ = incoming_mail_.take();
        if (incoming_) {
            warmup_left_ = std::max(incoming_->warmup, static_cast<std::size_t>(kMinimumWarmupSeconds * sample_rate_));
            fade_position_ = 0;
            switch_correlation_.reset();
        }
    }
    if (!incoming_) {
        current_->process(in, wet, n);
        return;
    }
    // The incoming model reads the input first: in may alias wet.
    float *next = incoming_out_.data();
    incoming_->process(in, next, n);
    current_->process(in, wet, n);
    // Warm-up: the new model hears the live input but is not heard yet.
    const std::size_t silent = std::min(warmup_left_, n);
    switch_correlation_.add(wet, next, silent);
    warmup_left_ -= silent;
    if (warmup_left_ > 0) return;
    if (fade_position_ == 0) fade_correlation_ = switch_correlation_.value();
    const std::size_t length = fade_samples();
    std::size_t t = silent;
    for (; t < n && fade_position_ < length; ++t, ++fade_position_) {
        const FadeGains g = fade_gains(static_cast<float>(fade_position_) / static_cast<float>(length), fade_correlation_);
        wet[t] = g.from * wet[t] + g.to * next[t];
    }
    if (fade_position_ >= length) {
        for (; t < n; ++t) wet[t] = next[t];
        retire(current_);
        current_ = incoming_;
        incoming_ = nullptr;
    }
}

void Engine::retire(ModelSlot *slot) noexcept {
    if (!retired_.push(slot)) retiring_ = slot;  // the control side has not collected yet
}

void Engine::apply_ramp(Ramp &ramp, float *x, std::size_t n) noexcept {
    const float target = ramp.target.load(std::memory_order_relaxed);
    if (target != ramp.heading) {  // a new target: ramp linearly to it over the smoothing time
        ramp.heading = target;
        ramp.steps_left = std::max<std::size_t>(1, static_cast<std::size_t>(kSmoothingSeconds * sample_rate_));
        ramp.step = (target - ramp.current) / static_cast<float>(ramp.steps_left);
    }
    std::size_t i = 0;
    for (; i < n && ramp.steps_left > 0; ++i, --ramp.steps_left) {
        ramp.current = ramp.steps_left == 1 ? ramp.heading : ramp.current + ramp.step;
        x[i] *= ramp.current;
    }
    if (ramp.current != 1.0f)
        for (; i < n; ++i) x[i] *= ramp.current;
}

void Engine::apply_bypass(const float *dry, float *out, std::size_t n) noexcept {
    bypass_correlation_.add(out, dry, n);
    const float goal = bypass_target_.load(std::memory_order_relaxed) ? 1.0f : 0.0f;
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
