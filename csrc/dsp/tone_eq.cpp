#include "dsp/tone_eq.h"

#include <algorithm>
#include <cmath>

namespace pedal::dsp {

namespace {

constexpr double kGlideMs = 20.0;

}  // namespace

void ToneEq::prepare(double sample_rate, const ToneVoicing &voicing) {
    rate_ = sample_rate;
    voicing_ = voicing;
    for (Smoothed *knob : {&bass_db_, &mid_db_, &treble_db_}) knob->prepare(sample_rate, kGlideMs);
    reset();
}

void ToneEq::reset() noexcept {
    for (Smoothed *knob : {&bass_db_, &mid_db_, &treble_db_}) knob->snap();
    for (Biquad *band : {&bass_, &mid_, &treble_}) band->reset();
    design();
}

void ToneEq::design() noexcept {
    bass_.set(bass_design());
    mid_.set(mid_design());
    treble_.set(treble_design());
}

// sin/cos/pow cost about 0.1 us per band, paid once per kUpdateInterval samples
// and only for a band whose knob moves.
BiquadCoefficients ToneEq::bass_design() const noexcept {
    return rbj::low_shelf(rate_, voicing_.bass_hz, bass_db_.current());
}
BiquadCoefficients ToneEq::mid_design() const noexcept {
    return rbj::peaking(rate_, voicing_.mid_hz, mid_db_.current(), voicing_.mid_q);
}
BiquadCoefficients ToneEq::treble_design() const noexcept {
    return rbj::high_shelf(rate_, voicing_.treble_hz, treble_db_.current());
}

void ToneEq::process(const float *in, float *out, std::size_t frames) noexcept {
    while (frames > 0) {
        std::size_t n = frames;
        const bool bass = bass_db_.moving(), mid = mid_db_.moving(), treble = treble_db_.moving();
        if (bass || mid || treble) n = std::min(n, kUpdateInterval);
        // A moving band glides its coefficients to the design for the gain its
        // knob reaches on the sub-block's last sample.
        if (bass) {
            bass_db_.skip(n);
            bass_.process(in, out, n, bass_design());
        } else {
            bass_.process(in, out, n);
        }
        if (mid) {
            mid_db_.skip(n);
            mid_.process(out, out, n, mid_design());
        } else {
            mid_.process(out, out, n);
        }
        if (treble) {
            treble_db_.skip(n);
            treble_.process(out, out, n, treble_design());
        } else {
            treble_.process(out, out, n);
        }
        in += n;
        out += n;
        frames -= n;
    }
}

double ToneEq::response_db(double freq) const {
    const double gain = magnitude(bass_.coefficients(), freq, rate_) * magnitude(mid_.coefficients(), freq, rate_) *
                        magnitude(treble_.coefficients(), freq, rate_);
    return 20.0 * std::log10(gain);
}

}  // namespace pedal::dsp
