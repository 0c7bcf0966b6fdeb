// A model as the engine plays it: the model plus what the control side
// prepared for it (its gains, the rate bridge when it was trained at another
// rate than the card's, how long it must warm up). Built and freed on the
// control side; the audio thread only borrows it.
#pragma once

#include <cstdint>
#include <memory>

#include "dsp/rate_bridge.h"
#include "models/model.h"

namespace pedal::engine {

struct ModelSlot {
    std::unique_ptr<models::Model> model;  // null: no model, the input passes through
    float input_gain = 1.0f;               // linear: the file's input calibration
    float gain = 1.0f;                     // linear loudness normalisation of its output
    double model_rate = 0.0;               // Hz; 0 or the engine's rate: no resampling
    dsp::RateBridge bridge;                // prepared by Engine::set_model when resampling
    bool resampled = false;
    std::size_t warmup = 0;                // engine samples to run silently before fading in
    std::uint64_t id = 0;                  // reported in stats as the current model

    std::size_t latency() const noexcept { return resampled ? bridge.latency() : 0; }

    // Runs the model at its own rate (or copies, for the empty slot) and applies the gains.
    void process(const float *in, float *out, std::size_t n) noexcept {
        if (!model) {
            for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
            return;
        }
        if (resampled) {
            const std::size_t inner = bridge.to_inner(in, n);
            float *x = bridge.inner();
            scale(x, inner, input_gain);
            model->process(x, x, inner);
            bridge.from_inner(out, n);
        } else {
            const float *source = in;
            if (input_gain != 1.0f) {
                for (std::size_t i = 0; i < n; ++i) out[i] = in[i] * input_gain;
                source = out;
            }
            model->process(source, out, n);
        }
        scale(out, n, gain);
    }

    void reset() noexcept {
        if (model) model->reset();
        if (resampled) bridge.reset();
    }

private:
    static void scale(float *x, std::size_t n, float g) noexcept {
        if (g != 1.0f)
            for (std::size_t i = 0; i < n; ++i) x[i] *= g;
    }
};

}  // namespace pedal::engine
