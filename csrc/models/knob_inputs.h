// The knob inputs of a model trained with them (a NeuralPi/Proteus gain, AIDA-X's
// PARAM1/PARAM2): values the network hears beside the audio in every frame.
//
// A knob is turned from the control side at any time (set: one atomic store);
// the audio thread picks the new target up at its next chunk and glides each
// value there linearly, frame by frame, over the glide time, so that turning a
// knob never steps the network's input (no zipper noise). reset() puts every
// value at its target at once: it is a setting, not state.
//
//   KnobInputs knobs;  knobs.configure({0.5f}, 480);   // construction
//   knobs.set(0, 0.8f);                                  // any thread
//   knobs.fill(frames, 2, 1, 64);                        // audio thread: column 1 of [64][2]
#pragma once

#include <atomic>
#include <cmath>
#include <cstddef>
#include <memory>
#include <vector>

namespace pedal::models {

// How long a knob takes to reach a new value: long enough that a turn is no
// step (>= 5 ms), short enough to feel immediate.
constexpr double kKnobGlideSeconds = 0.010;

inline std::size_t knob_glide_frames(double model_rate) {
    return static_cast<std::size_t>(std::lround(kKnobGlideSeconds * model_rate));
}

class KnobInputs {
public:
    // Sizes everything: the starting values and how many frames a glide takes (>= 1).
    void configure(const std::vector<float> &initial, std::size_t glide_frames) {
        count_ = initial.size();
        glide_frames_ = glide_frames > 0 ? glide_frames : 1;
        targets_ = std::make_unique<std::atomic<float>[]>(count_);
        for (std::size_t k = 0; k < count_; ++k) targets_[k].store(initial[k], std::memory_order_relaxed);
        value_ = initial;
        goal_ = initial;
        step_.assign(count_, 0.0f);
        left_.assign(count_, 0);
    }

    std::size_t count() const noexcept { return count_; }

    // Any thread. False for a knob the model does not have or a non-finite value.
    bool set(std::size_t knob, float value) noexcept {
        if (knob >= count_ || !std::isfinite(value)) return false;
        targets_[knob].store(value, std::memory_order_relaxed);
        return true;
    }

    // Audio thread: writes each knob's value for `frames` frames into
    // frame[t * stride + first + k], gliding towards the targets.
    void fill(float *frame, std::size_t stride, std::size_t first, std::size_t frames) noexcept {
        for (std::size_t k = 0; k < count_; ++k) {
            const float target = targets_[k].load(std::memory_order_relaxed);
            if (target != goal_[k]) {  // a new target: glide from where the value is now
                goal_[k] = target;
                left_[k] = glide_frames_;
                step_[k] = (target - value_[k]) / static_cast<float>(glide_frames_);
            }
            float *column = frame + first + k;
            for (std::size_t t = 0; t < frames; ++t) {
                if (left_[k] > 0) value_[k] = --left_[k] == 0 ? goal_[k] : value_[k] + step_[k];
                column[t * stride] = value_[k];
            }
        }
    }

    // Audio thread: every value at its target now.
    void reset() noexcept {
        for (std::size_t k = 0; k < count_; ++k) {
            value_[k] = goal_[k] = targets_[k].load(std::memory_order_relaxed);
            left_[k] = 0;
        }
    }

private:
    std::size_t count_ = 0, glide_frames_ = 1;
    std::unique_ptr<std::atomic<float>[]> targets_;  // set by the control side
    std::vector<float> value_, goal_, step_;         // audio thread's
    std::vector<std::size_t> left_;                  // frames of each glide still to go
};

}  // namespace pedal::models
