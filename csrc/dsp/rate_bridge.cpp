#include "dsp/rate_bridge.h"

#include <algorithm>

namespace pedal::dsp {

bool RateBridge::prepare(unsigned outer_rate, unsigned inner_rate, std::size_t max_block, const ResamplerDesign &design) {
    if (!up_.prepare(outer_rate, inner_rate, max_block, design)) return false;
    const std::size_t max_inner = up_.max_output_frames(max_block);
    if (!down_.prepare(inner_rate, outer_rate, max_inner, design)) return false;

    // One tick is 1 / (L x outer rate) s in both converters; an outer sample is
    // L = up_.up() ticks. Keep the up converter's default (whole inner samples)
    // and give the down converter the smallest latency that makes the sum whole.
    const std::size_t outer_ticks = up_.up();
    std::size_t down_ticks = down_.min_latency_ticks();
    down_ticks += (outer_ticks - (up_.latency_ticks() + down_ticks) % outer_ticks) % outer_ticks;
    if (!down_.align_latency(down_ticks)) return false;
    latency_ = (up_.latency_ticks() + down_ticks) / outer_ticks;

    inner_.assign(max_inner, 0.0f);
    returned_.assign(down_.max_output_frames(max_inner), 0.0f);
    // Beyond the block, the surplus is below 2 M / L + 2 samples (see the header).
    fifo_.assign(max_block + returned_.size() + 8, 0.0f);
    reset();
    return true;
}

void RateBridge::reset() noexcept {
    up_.reset();
    down_.reset();
    inner_frames_ = 0;
    fifo_read_ = fifo_size_ = 0;
}

std::size_t RateBridge::to_inner(const float *in, std::size_t frames) noexcept {
    inner_frames_ = up_.process(in, frames, inner_.data());
    return inner_frames_;
}

void RateBridge::from_inner(float *out, std::size_t frames) noexcept {
    const std::size_t capacity = fifo_.size();
    if (capacity == 0) {  // not prepared
        std::fill(out, out + frames, 0.0f);
        return;
    }
    const std::size_t made = down_.process(inner_.data(), inner_frames_, returned_.data());
    inner_frames_ = 0;
    for (std::size_t i = 0; i < made && fifo_size_ < capacity; ++i, ++fifo_size_)
        fifo_[(fifo_read_ + fifo_size_) % capacity] = returned_[i];
    // The latency alignment guarantees fifo_size_ >= frames; silence covers a
    // caller that broke the one-to-one pairing of to_inner and from_inner.
    const std::size_t available = std::min(frames, fifo_size_);
    for (std::size_t i = 0; i < available; ++i) out[i] = fifo_[(fifo_read_ + i) % capacity];
    std::fill(out + available, out + frames, 0.0f);
    fifo_read_ = (fifo_read_ + available) % capacity;
    fifo_size_ -= available;
}

}  // namespace pedal::dsp
