// A frame buffer that keeps a fixed look-back contiguous behind the write
// position, so a dilated convolution reads its taps with plain pointer offsets
// (no modulo per sample). When the write position nears the end, the look-back
// is copied to the front once ("rewind"); with the capacity chosen here that
// costs at most one frame copy per frame processed.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

#include "layers/aligned.h"

namespace pedal::layers {

class History {
public:
    History() = default;

    // Sizes the buffer once; `lookback` frames of `channels` floats are kept
    // behind the write position and `max_chunk` frames may be written at once.
    void configure(std::size_t channels, std::size_t lookback, std::size_t max_chunk) {
        channels_ = channels;
        lookback_ = lookback;
        max_chunk_ = max_chunk;
        capacity_ = lookback + std::max(lookback, 4 * max_chunk);
        data_.assign(capacity_ * channels, 0.0f);
        position_ = lookback;
    }

    void reset() {
        std::fill(data_.begin(), data_.end(), 0.0f);
        position_ = lookback_;
    }

    // Where the next `frames` (<= max_chunk) frames go; frames before it are history.
    float *prepare(std::size_t frames) {
        if (position_ + frames > capacity_) rewind();
        return data_.data() + position_ * channels_;
    }

    void advance(std::size_t frames) { position_ += frames; }

    // Copies the frame just written at the write position into every frame of
    // the look-back: the history of a signal that has held that value forever
    // (how a network settles into its steady response to silence at once).
    void fill_lookback_with_current() {
        const float *now = data_.data() + position_ * channels_;
        for (std::size_t back = 1; back <= lookback_; ++back)
            std::memcpy(data_.data() + (position_ - back) * channels_, now, channels_ * sizeof(float));
    }

    std::size_t channels() const { return channels_; }

private:
    void rewind() {
        std::memmove(data_.data(), data_.data() + (position_ - lookback_) * channels_,
                     lookback_ * channels_ * sizeof(float));
        position_ = lookback_;
    }

    AlignedFloats data_;  // on cache lines (aligned.h), like the weights the kernels read beside it
    std::size_t channels_ = 0, lookback_ = 0, max_chunk_ = 0, capacity_ = 0, position_ = 0;
};

}  // namespace pedal::layers
