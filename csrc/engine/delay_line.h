// A fixed-capacity delay for the dry signal, so that bypass fades between two
// time-aligned signals: the effect path is late by the chain's latency
// (resampling, limiter look-ahead), and toggling bypass must not jump in time.
#pragma once

#include <cstddef>
#include <vector>

namespace pedal::engine {

class DelayLine {
public:
    explicit DelayLine(std::size_t capacity) : buffer_(capacity + 1, 0.0f) {}

    std::size_t capacity() const { return buffer_.size() - 1; }

    // Writes `in` and reads the same number of samples `delay` samples older
    // (clamped to the capacity) into `out`; in == out allowed.
    void process(const float *in, float *out, std::size_t n, std::size_t delay) noexcept {
        const std::size_t size = buffer_.size();
        if (delay > capacity()) delay = capacity();
        for (std::size_t i = 0; i < n; ++i) {
            buffer_[write_] = in[i];
            const std::size_t read = write_ >= delay ? write_ - delay : write_ + size - delay;
            out[i] = buffer_[read];
            write_ = write_ + 1 == size ? 0 : write_ + 1;
        }
    }

    void reset() noexcept {
        std::fill(buffer_.begin(), buffer_.end(), 0.0f);
        write_ = 0;
    }

private:
    std::vector<float> buffer_;
    std::size_t write_ = 0;
};

}  // namespace pedal::engine
