#include "dsp/limiter.h"

#include <algorithm>
#include <cmath>

namespace pedal::dsp {

void Limiter::prepare(double sample_rate, double lookahead_ms) {
    rate_ = sample_rate;
    window_ = static_cast<std::size_t>(std::max(0L, std::lround(lookahead_ms * sample_rate / 1000.0))) + 1;
    delay_.assign(window_, 0.0f);
    averaged_.assign(window_, 1.0);
    deque_need_.assign(window_, 1.0);
    deque_time_.assign(window_, 0);
    seen_release_ms_ = -1.0f;  // forces update_settings()
    update_settings();
    reset();
}

void Limiter::reset() noexcept {
    std::fill(delay_.begin(), delay_.end(), 0.0f);
    std::fill(averaged_.begin(), averaged_.end(), 1.0);
    sum_ = static_cast<double>(window_);
    position_ = 0;
    released_ = 1.0;
    last_gain_ = 1.0;
    deque_front_ = deque_size_ = 0;
    time_ = 0;
}

void Limiter::update_settings() noexcept {
    const float ceiling_db = ceiling_db_.load(std::memory_order_relaxed);
    const float release_ms = release_ms_.load(std::memory_order_relaxed);
    if (ceiling_db == seen_ceiling_db_ && release_ms == seen_release_ms_) return;
    seen_ceiling_db_ = ceiling_db;
    seen_release_ms_ = release_ms;
    const double db = std::isfinite(ceiling_db) ? static_cast<double>(kCeilingDb.clamp(ceiling_db)) : kCeilingDb.max;
    ceiling_ = std::pow(10.0, db / 20.0);
    const double ms = std::isfinite(release_ms) ? std::min(5000.0, std::max(1.0, static_cast<double>(release_ms))) : 60.0;
    release_ = 1.0 - std::exp(-1000.0 / (ms * rate_));
}

// Pushes need[n] and returns min(need[n-W+1 .. n]). Each value enters and
// leaves the deque once: O(1) per sample on average, at most W steps.
double Limiter::sliding_minimum(double need) noexcept {
    const std::size_t w = window_;
    while (deque_size_ > 0 && deque_need_[(deque_front_ + deque_size_ - 1) % w] >= need) --deque_size_;
    if (deque_size_ > 0 && deque_time_[deque_front_] + w <= time_) {  // the oldest has left the window
        deque_front_ = (deque_front_ + 1) % w;
        --deque_size_;
    }
    const std::size_t back = (deque_front_ + deque_size_) % w;
    deque_need_[back] = need;
    deque_time_[back] = time_;
    ++deque_size_;
    ++time_;
    return deque_need_[deque_front_];
}

void Limiter::process(const float *in, float *out, std::size_t frames) noexcept {
    if (delay_.empty()) {  // not prepared: still never louder than full scale
        for (std::size_t i = 0; i < frames; ++i) out[i] = std::isfinite(in[i]) ? std::min(1.0f, std::max(-1.0f, in[i])) : 0.0f;
        return;
    }
    update_settings();
    const double ceiling = ceiling_, release = release_, inverse_window = 1.0 / static_cast<double>(window_);
    const float limit = static_cast<float>(ceiling);
    for (std::size_t i = 0; i < frames; ++i) {
        const float x = std::isfinite(in[i]) ? in[i] : 0.0f;
        const double peak = std::fabs(static_cast<double>(x));
        const double need = peak > ceiling ? ceiling / peak : 1.0;
        const double held = sliding_minimum(need);

        double released = released_ + (1.0 - released_) * release;
        if (released > 1.0 - 1e-9) released = 1.0;  // else it creeps up to 1 forever
        released_ = std::min(held, released);

        sum_ += released_ - averaged_[position_];
        averaged_[position_] = released_;
        delay_[position_] = x;
        const float oldest = delay_[(position_ + 1) % window_];  // x[n-W+1], written W-1 samples ago
        if (++position_ == window_) {
            position_ = 0;
            double exact = 0.0;  // one lap: re-sum so rounding cannot drift the gain
            for (double v : averaged_) exact += v;
            sum_ = exact;
        }
        last_gain_ = std::min(1.0, sum_ * inverse_window);
        const float y = static_cast<float>(static_cast<double>(oldest) * last_gain_);
        out[i] = std::min(limit, std::max(-limit, y));
    }
}

}  // namespace pedal::dsp
