// Figures the audio thread publishes for any other thread to read without a
// lock. Peaks and block-time extremes cover the span since the previous read.
#pragma once

#include <atomic>
#include <cstdint>

namespace pedal::engine {

struct StatsSnapshot {
    float input_peak = 0.0f, output_peak = 0.0f;  // linear, since the last read
    double block_us_min = 0.0, block_us_avg = 0.0, block_us_max = 0.0;  // since the last read
    std::uint64_t blocks = 0;            // processed since start
    std::uint64_t muted_blocks = 0;      // output had NaN/Inf: muted, models reset
    std::uint64_t bad_input_blocks = 0;  // input had NaN/Inf: those samples replaced by 0
    std::uint64_t model_id = 0;          // id of the model playing (0: none)
    bool bypassed = false;
    bool switching = false;  // a model change (warm-up or crossfade) is under way
    double latency = 0.0;    // samples, input to output
};

class Stats {
public:
    // Audio thread.
    void record_block(float input_peak, float output_peak, double block_us) noexcept {
        raise(input_peak_, input_peak);
        raise(output_peak_, output_peak);
        raise(block_us_max_, block_us);
        lower(block_us_min_, block_us);
        block_us_sum_.store(block_us_sum_.load(std::memory_order_relaxed) + block_us, std::memory_order_relaxed);
        span_blocks_.fetch_add(1, std::memory_order_relaxed);
        blocks_.fetch_add(1, std::memory_order_relaxed);
    }
    void count_muted() noexcept { muted_blocks_.fetch_add(1, std::memory_order_relaxed); }
    void count_bad_input() noexcept { bad_input_blocks_.fetch_add(1, std::memory_order_relaxed); }
    void set_state(std::uint64_t model_id, bool bypassed, bool switching, double latency) noexcept {
        model_id_.store(model_id, std::memory_order_relaxed);
        bypassed_.store(bypassed, std::memory_order_relaxed);
        switching_.store(switching, std::memory_order_relaxed);
        latency_.store(latency, std::memory_order_relaxed);
    }

    double latency() const noexcept { return latency_.load(std::memory_order_relaxed); }

    // Any thread; starts a new span for peaks and block times. A block
    // recorded while this runs may land in either span.
    StatsSnapshot read() noexcept {
        StatsSnapshot s;
        s.input_peak = input_peak_.exchange(0.0f);
        s.output_peak = output_peak_.exchange(0.0f);
        const std::uint64_t span = span_blocks_.exchange(0);
        const double sum = block_us_sum_.exchange(0.0);
        const double low = block_us_min_.exchange(kNoMinimum), high = block_us_max_.exchange(0.0);
        if (span > 0) {
            s.block_us_min = low;
            s.block_us_avg = sum / static_cast<double>(span);
            s.block_us_max = high;
        }
        s.blocks = blocks_.load();
        s.muted_blocks = muted_blocks_.load();
        s.bad_input_blocks = bad_input_blocks_.load();
        s.model_id = model_id_.load();
        s.bypassed = bypassed_.load();
        s.switching = switching_.load();
        s.latency = latency_.load();
        return s;
    }

private:
    static constexpr double kNoMinimum = 1e300;

    template <typename T>
    static void raise(std::atomic<T> &slot, T value) {
        T seen = slot.load(std::memory_order_relaxed);
        while (value > seen && !slot.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
        }
    }
    template <typename T>
    static void lower(std::atomic<T> &slot, T value) {
        T seen = slot.load(std::memory_order_relaxed);
        while (value < seen && !slot.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
        }
    }

    std::atomic<float> input_peak_{0.0f}, output_peak_{0.0f};
    std::atomic<double> block_us_min_{kNoMinimum}, block_us_max_{0.0}, block_us_sum_{0.0};
    std::atomic<std::uint64_t> span_blocks_{0}, blocks_{0}, muted_blocks_{0}, bad_input_blocks_{0}, model_id_{0};
    std::atomic<bool> bypassed_{false}, switching_{false};
    std::atomic<double> latency_{0.0};
};

}  // namespace pedal::engine
