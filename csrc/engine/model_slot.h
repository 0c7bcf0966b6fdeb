// A model as the engine plays it: the model plus what the control side
// prepared for it (its loudness gain, how long it must warm up). Built and
// freed on the control side; the audio thread only borrows it.
#pragma once

#include <cstdint>
#include <memory>

#include "models/model.h"

namespace pedal::engine {

struct ModelSlot {
    std::unique_ptr<models::Model> model;  // null: no model, the chain passes the input through
    float input_gain = 1.0f;               // linear: the file's input calibration
    float gain = 1.0f;                     // linear loudness normalisation applied to its output
    std::size_t warmup = 0;                // samples to run silently before fading in
    std::uint64_t id = 0;                  // reported in stats as the current model

    // Runs the model (or copies, for the empty slot) and applies the gain.
    void process(const float *in, float *out, std::size_t n) noexcept {
        if (!model) {
            for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
            return;
        }
        if (input_gain != 1.0f) {
            for (std::size_t i = 0; i < n; ++i) out[i] = in[i] * input_gain;
            model->process(out, out, n);
        } else {
            model->process(in, out, n);
        }
        if (gain != 1.0f)
            for (std::size_t i = 0; i < n; ++i) out[i] *= gain;
    }

    void reset() noexcept {
        if (model) model->reset();
    }
};

}  // namespace pedal::engine
