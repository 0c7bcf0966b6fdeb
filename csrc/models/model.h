// What every playable model is to the rest of the core: mono float audio in,
// mono float audio out, in blocks of any size.
//
// The contract that keeps the audio thread safe: process() and reset() never
// allocate, lock, log or do I/O; all memory is sized by the constructor.
#pragma once

#include <cstddef>

namespace pedal::models {

class Model {
public:
    virtual ~Model() = default;

    // Runs `frames` samples (any count, in == out allowed) through the model,
    // continuing from the state left by the previous call.
    virtual void process(const float *in, float *out, std::size_t frames) noexcept = 0;

    // Returns the model to the state it had right after loading.
    virtual void reset() noexcept = 0;

    // Samples of input that influence one output sample (1 for a memoryless
    // model, 0 when recurrence makes the memory unbounded).
    virtual std::size_t receptive_field() const noexcept = 0;

    // Knob inputs (models trained with them): how many, and turning one to
    // `value` from any thread, which the model glides to (see knob_inputs.h).
    // False for a knob it does not have or a non-finite value.
    virtual std::size_t knob_count() const noexcept { return 0; }
    virtual bool set_knob(std::size_t /*knob*/, float /*value*/) noexcept { return false; }
    // Puts every knob at the value last set, at once (no glide): the thread
    // that processes, or before the model plays.
    virtual void settle_knobs() noexcept {}
};

// Models work through long blocks in slices of this many frames, so their
// scratch buffers have a size fixed at load time whatever block size the
// caller uses.
constexpr std::size_t kMaxChunk = 64;

// Works through `frames` in slices of at most kMaxChunk: chunk(in, out, n)
// for each, in order. The loop every model's process() shares.
template <typename Chunk>
inline void for_each_chunk(const float *in, float *out, std::size_t frames, Chunk &&chunk) noexcept {
    while (frames > 0) {
        const std::size_t n = frames < kMaxChunk ? frames : kMaxChunk;
        chunk(in, out, n);
        in += n;
        out += n;
        frames -= n;
    }
}

}  // namespace pedal::models
