// The pedal's tone stack: bass (low shelf), mid (peaking) and treble (high
// shelf), each ±15 dB. Knobs are turned from any thread (lock-free, see
// smoothed.h); the gains glide over 20 ms, and while they move the filter
// coefficients are designed every 32 samples and slide linearly in between,
// so even a 1024-frame block changes smoothly.
// All knobs at 0 dB leave the signal untouched (within float rounding).
//
//   ToneEq tone;  tone.prepare(48000.0);          // off the audio thread
//   tone.set_bass_db(4.5f);                       // any thread
//   tone.process(buffer, buffer, frames);         // audio thread
#pragma once

#include <cstddef>

#include "dsp/biquad.h"
#include "dsp/setting_range.h"
#include "dsp/smoothed.h"

namespace pedal::dsp {

// Where the three bands sit; the defaults suit a guitar.
struct ToneVoicing {
    double bass_hz = 100.0;
    double mid_hz = 800.0;
    double mid_q = 0.7;
    double treble_hz = 3200.0;
};

class ToneEq {
public:
    // Each knob's range in dB; flat to start with (the engine's table lists it).
    static constexpr SettingRange kGainDb{-15.0, 15.0, 0.0};
    // Samples between coefficient updates while a knob moves: 0.7 ms at 48 kHz.
    static constexpr std::size_t kUpdateInterval = 32;

    // Off the audio thread. Keeps the knob settings, clears the filters.
    void prepare(double sample_rate, const ToneVoicing &voicing = {});

    // Any thread; clamped to kGainDb, non-finite values ignored.
    void set_bass_db(float db) noexcept { bass_db_.set_target(kGainDb.clamp(db)); }
    void set_mid_db(float db) noexcept { mid_db_.set_target(kGainDb.clamp(db)); }
    void set_treble_db(float db) noexcept { treble_db_.set_target(kGainDb.clamp(db)); }

    // Audio thread: clears the filters and jumps to the current knob settings.
    void reset() noexcept;

    // Audio thread: any frame count, in == out allowed, never allocates.
    void process(const float *in, float *out, std::size_t frames) noexcept;

    // The designed response at `freq` in dB, for the knob values now reached.
    double response_db(double freq) const;

private:
    void design() noexcept;
    BiquadCoefficients bass_design() const noexcept;
    BiquadCoefficients mid_design() const noexcept;
    BiquadCoefficients treble_design() const noexcept;

    double rate_ = 48000.0;
    ToneVoicing voicing_;
    Smoothed bass_db_{static_cast<float>(kGainDb.initial)}, mid_db_{static_cast<float>(kGainDb.initial)},
        treble_db_{static_cast<float>(kGainDb.initial)};
    Biquad bass_, mid_, treble_;
};

}  // namespace pedal::dsp
