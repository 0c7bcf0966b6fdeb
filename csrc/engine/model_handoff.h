// The models the engine plays, and how a new one takes over. The control side
// posts a prepared ModelSlot; the audio thread takes it at a block start, runs
// it silently on the live input until it has warmed up (while measuring how
// alike the old and new models sound), crossfades to it with gains that suit
// that correlation (crossfade.h), and gives the old slot back through the
// return queue for the control side to free. The audio thread never allocates
// or frees here: every slot it holds arrived prepared and leaves by the queue.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/crossfade.h"
#include "engine/handoff.h"
#include "engine/model_slot.h"

namespace pedal::engine {

class ModelHandoff {
public:
    // Starts with the empty slot: the input passes through until a model arrives.
    ModelHandoff(double sample_rate, std::size_t max_block);
    ~ModelHandoff();
    ModelHandoff(const ModelHandoff &) = delete;
    ModelHandoff &operator=(const ModelHandoff &) = delete;

    // Control side (one thread at a time). A slot not yet taken is superseded and freed.
    void post(std::unique_ptr<ModelSlot> slot);
    // Control side: frees the slots the audio thread has finished with.
    void collect_garbage();

    // Audio thread. Plays blocks of up to max_block samples (in == out allowed),
    // taking a posted slot, warming it up and then fading to it over
    // `fade_length` samples.
    void process(const float *in, float *out, std::size_t n, std::size_t fade_length) noexcept;
    // Audio thread: the playing and the incoming model start again from rest.
    void reset() noexcept;
    // Audio thread.
    std::size_t latency() const noexcept { return current_->latency(); }
    std::uint64_t playing_id() const noexcept { return current_->id; }
    bool changing() const noexcept { return incoming_ != nullptr; }
    // Audio thread: the slot whose fade in began during the last process()
    // call, once (null otherwise); it plays on, so the caller may read it.
    ModelSlot *take_fade_begun() noexcept {
        ModelSlot *slot = fade_begun_;
        fade_begun_ = nullptr;
        return slot;
    }

private:
    void retire(ModelSlot *slot) noexcept;

    const std::size_t minimum_warmup_;  // engine samples

    // New slots arrive in the mailbox; used ones leave by the return queue.
    Mailbox<ModelSlot> mail_;
    ReturnQueue<ModelSlot, 16> retired_;
    ModelSlot *current_ = nullptr;   // audio thread's
    ModelSlot *incoming_ = nullptr;  // audio thread's: warming up or fading in
    ModelSlot *retiring_ = nullptr;  // audio thread's: waiting for room in retired_
    std::size_t warmup_left_ = 0, fade_position_ = 0;
    bool fade_announced_ = false;      // take_fade_begun() has the incoming slot, or had it
    ModelSlot *fade_begun_ = nullptr;
    CorrelationMeter switch_correlation_;  // old vs new model, measured during warm-up
    float fade_correlation_ = 0.0f;        // frozen when a fade starts
    std::vector<float> incoming_out_;      // max_block: the incoming model's output
};

}  // namespace pedal::engine
