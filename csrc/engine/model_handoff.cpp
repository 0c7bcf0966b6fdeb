#include "engine/model_handoff.h"

#include <algorithm>

namespace pedal::engine {

namespace {

// A new model warms up for at least this long, so its correlation with the
// old one is measured before the crossfade.
constexpr double kMinimumWarmupSeconds = 0.010;

}  // namespace

ModelHandoff::ModelHandoff(double sample_rate, std::size_t max_block)
    : minimum_warmup_(static_cast<std::size_t>(kMinimumWarmupSeconds * sample_rate)),
      current_(new ModelSlot()), switch_correlation_(sample_rate), incoming_out_(max_block) {}

ModelHandoff::~ModelHandoff() {
    collect_garbage();
    delete mail_.drain();
    delete current_;
    delete incoming_;
    delete retiring_;
}

void ModelHandoff::post(std::unique_ptr<ModelSlot> slot) { delete mail_.post(slot.release()); }

void ModelHandoff::collect_garbage() {
    while (ModelSlot *slot = retired_.pop()) delete slot;
}

void ModelHandoff::reset() noexcept {
    current_->reset();
    if (incoming_) incoming_->reset();
}

void ModelHandoff::process(const float *in, float *out, std::size_t n, std::size_t fade_length) noexcept {
    if (retiring_ && retired_.push(retiring_)) retiring_ = nullptr;
    if (!incoming_ && !retiring_) {
        incoming_ = mail_.take();
        if (incoming_) {
            warmup_left_ = std::max(incoming_->warmup, minimum_warmup_);
            fade_position_ = 0;
            fade_announced_ = false;
            switch_correlation_.reset();
        }
    }
    if (!incoming_) {
        current_->process(in, out, n);
        return;
    }
    // The incoming model reads the input first: in may alias out.
    float *next = incoming_out_.data();
    incoming_->process(in, next, n);
    current_->process(in, out, n);
    // Warm-up: the new model hears the live input but is not heard yet.
    const std::size_t silent = std::min(warmup_left_, n);
    switch_correlation_.add(out, next, silent);
    warmup_left_ -= silent;
    if (warmup_left_ > 0) return;
    if (fade_position_ == 0) fade_correlation_ = switch_correlation_.value();
    if (!fade_announced_) {
        fade_announced_ = true;
        fade_begun_ = incoming_;
    }
    std::size_t t = silent;
    for (; t < n && fade_position_ < fade_length; ++t, ++fade_position_) {
        const FadeGains g =
            fade_gains(static_cast<float>(fade_position_) / static_cast<float>(fade_length), fade_correlation_);
        out[t] = g.from * out[t] + g.to * next[t];
    }
    if (fade_position_ >= fade_length) {
        for (; t < n; ++t) out[t] = next[t];
        retire(current_);
        current_ = incoming_;
        incoming_ = nullptr;
    }
}

void ModelHandoff::retire(ModelSlot *slot) noexcept {
    if (!retired_.push(slot)) retiring_ = slot;  // the control side has not collected yet
}

}  // namespace pedal::engine
