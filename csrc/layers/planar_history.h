// History (history.h) for channel-planar blocks: each channel's frames kept
// contiguous, `stride()` floats apart, with a fixed look-back behind the
// write position, so a planar convolution reads a delayed vector of frames
// with a plain pointer offset. All channels share one write position and
// rewind together (at most one frame copy per frame processed).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace pedal::layers {

class PlanarHistory {
public:
    void configure(std::size_t channels, std::size_t lookback, std::size_t max_chunk) {
        channels_ = channels;
        lookback_ = lookback;
        capacity_ = lookback + std::max(lookback, 4 * max_chunk);
        data_.assign(capacity_ * channels, 0.0f);
        position_ = lookback;
    }

    // Channel 0's next `frames` (<= max_chunk) frames; channel c's lie c * stride() further on.
    float *prepare(std::size_t frames) {
        if (position_ + frames > capacity_) rewind();
        return data_.data() + position_;
    }

    void advance(std::size_t frames) { position_ += frames; }
    std::size_t stride() const { return capacity_; }

    // Every channel's look-back filled with its frame at the write position
    // (History::fill_lookback_with_current, per channel).
    void fill_lookback_with_current() {
        for (std::size_t c = 0; c < channels_; ++c) {
            float *row = data_.data() + c * capacity_;
            std::fill(row + position_ - lookback_, row + position_, row[position_]);
        }
    }

private:
    void rewind() {
        for (std::size_t c = 0; c < channels_; ++c) {
            float *row = data_.data() + c * capacity_;
            std::memmove(row, row + position_ - lookback_, lookback_ * sizeof(float));
        }
        position_ = lookback_;
    }

    std::vector<float> data_;
    std::size_t channels_ = 0, lookback_ = 0, capacity_ = 0, position_ = 0;
};

}  // namespace pedal::layers
