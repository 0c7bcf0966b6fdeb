// What a WaveNet carries from one chunk to the next: the look-back of each
// layer's conv input, of each layer array's head sum and of each post-stack
// head block's input. Shared by NamWaveNet (History, channel-interleaved) and
// NamWaveNetPlanar (PlanarHistory). A copy of the state right after settling
// is what reset() restores: the same sizes on both sides, so the vectors'
// copy-assignment reuses their storage and never allocates.
#pragma once

#include <cstddef>
#include <vector>

namespace pedal::models {

template <class History>
struct WaveNetState {
    std::vector<History> layer_inputs;  // one per layer, all arrays in order
    std::vector<History> head_sums;     // one per array
    std::vector<History> head_inputs;   // one per post-stack head block

    // Becomes `saved` (a copy of this same state taken earlier) without allocating.
    void restore(const WaveNetState &saved) noexcept {
        for (std::size_t i = 0; i < layer_inputs.size(); ++i) layer_inputs[i] = saved.layer_inputs[i];
        for (std::size_t i = 0; i < head_sums.size(); ++i) head_sums[i] = saved.head_sums[i];
        for (std::size_t i = 0; i < head_inputs.size(); ++i) head_inputs[i] = saved.head_inputs[i];
    }
};

}  // namespace pedal::models
