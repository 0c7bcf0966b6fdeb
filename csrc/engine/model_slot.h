// What the engine plays, as the control side prepared it: a chain of up to
// kMaxStages captures in series (a rig: a drive into an amp), each a Stage with
// its own gains and, when it was trained at another rate than the card's, its
// own rate bridge. The chain is handed to the audio thread whole, so switching
// rig is one hand-off and one crossfade. Built and freed on the control side;
// the audio thread only borrows it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "dsp/rate_bridge.h"
#include "engine/slot_sound.h"
#include "models/model.h"

namespace pedal::engine {

// One capture of a chain.
struct Stage {
    std::unique_ptr<models::Model> model;
    float input_gain = 1.0f;               // linear: the file's input calibration (and the rig's drive)
    float gain = 1.0f;                     // linear loudness normalisation of its output
    double model_rate = 0.0;               // Hz; 0 or the engine's rate: no resampling
    dsp::RateBridge bridge;                // prepared by Engine::set_model when resampling
    bool resampled = false;

    std::size_t latency() const noexcept { return resampled ? bridge.latency() : 0; }

    // Runs the model at its own rate and applies the gains; in == out allowed.
    void process(const float *in, float *out, std::size_t n) noexcept {
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
        model->reset();
        if (resampled) bridge.reset();
    }

private:
    static void scale(float *x, std::size_t n, float g) noexcept {
        if (g != 1.0f)
            for (std::size_t i = 0; i < n; ++i) x[i] *= g;
    }
};

struct ModelSlot {
    static constexpr std::size_t kMaxStages = 4;

    std::vector<Stage> stages;   // in playing order; none: the input passes through
    std::size_t warmup = 0;      // engine samples to run silently before fading in
    std::uint64_t id = 0;        // reported in stats as the current model (or chain)
    std::unique_ptr<SlotSound> sound;  // settings that change with this chain, when it fades in

    std::size_t latency() const noexcept {
        std::size_t total = 0;
        for (const Stage &stage : stages) total += stage.latency();
        return total;
    }

    // Each stage in turn, in place after the first (in == out allowed).
    void process(const float *in, float *out, std::size_t n) noexcept {
        if (stages.empty()) {
            for (std::size_t i = 0; i < n; ++i) out[i] = in[i];
            return;
        }
        const float *source = in;
        for (Stage &stage : stages) {
            stage.process(source, out, n);
            source = out;
        }
    }

    void reset() noexcept {
        for (Stage &stage : stages) stage.reset();
    }
};

}  // namespace pedal::engine
