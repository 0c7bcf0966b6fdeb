// A knob's range and the value it starts at, written once, next to the block
// that enforces it. engine/params.h gathers the ranges of every engine
// parameter into the one table the C API and Python read.
#pragma once

#include <algorithm>

namespace pedal::dsp {

struct SettingRange {
    double min, max, initial;

    // Into [min, max] (a NaN passes through: callers decide what it means).
    constexpr float clamp(float value) const noexcept {
        return std::min(std::max(value, static_cast<float>(min)), static_cast<float>(max));
    }
};

}  // namespace pedal::dsp
