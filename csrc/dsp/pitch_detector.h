// The tuner's ear: the pitch of a guitar or bass note, to a fraction of a cent.
//
// McLeod's pitch method (P. McLeod, G. Wyvill, "A smarter way to find pitch",
// 2005): the normalised square difference function
//   n(tau) = 2 r(tau) / m(tau),  r = sum x[j] x[j+tau],  m = sum x[j]^2 + x[j+tau]^2
// is 1 at lags that repeat the waveform exactly, whatever its level. Its first
// key maximum within kPeakRatio of the highest is the period: the fundamental,
// not one of its octaves, even when a harmonic is louder than the fundamental.
//
// Two passes keep it cheap and exact. The search runs on a copy of the input
// decimated to about 12 kHz (an 85 ms window: two periods of a 5-string bass's
// low B), with r(tau) from an FFT. The period found is then refined at the
// input's own rate, from n(tau) computed directly at the few lags around it
// and a parabola through the highest three, on a copy of the input low-passed
// just above the note found (a 4th-order Butterworth at 1.4 times it, run by
// analyse() over the span it times): the fundamental alone. A stiff
// string's partials are sharper than whole multiples (inharmonicity), and the
// full waveform's period is a compromise between them, cents sharp of the
// fundamental; a near-sine's period is the fundamental's, and at 48 kHz the
// vertex pins it to a few hundredths of a cent even at 1,320 Hz.
//
// push() is the audio thread's part: a copy into the rings and the decimation
// filter (a few multiply-adds a sample, no allocation).
//
// analyse() keeps the note it found for the next call: a candidate period near
// it, nearly as clear as the clearest, is taken, so a low string whose
// fundamental fades below its octave does not jump an octave (unless the level
// rises as a new pluck's does). analyse() reads the
// rings (on any one other thread, or after push() on the same one). The rings
// hold twice what analyse() reads, so the audio thread writes far from it, and
// a read the writer may have overtaken (the reader stalled for ~85 ms) is
// thrown away rather than analysed torn.
//
//   PitchDetector ear;  ear.prepare(48000);       // off the audio thread
//   ear.push(block, 64);                           // audio thread
//   Pitch p = ear.analyse();                       // p.hz, p.clarity, p.level_db
#pragma once

#include <atomic>
#include <cstddef>
#include <vector>

#include "dsp/fft.h"

namespace pedal::dsp {

struct Pitch {
    double hz = 0.0;          // 0: no pitch (too quiet, or no clear period)
    double clarity = 0.0;     // the NSDF's peak: 1 for a perfectly periodic signal
    double level_db = -200.0; // RMS of the analysed window, dBFS
};

class PitchDetector {
public:
    static constexpr double kLowestHz = 25.0;    // below a 5-string bass's low B (30.9 Hz)
    static constexpr double kHighestHz = 1500.0; // above the 24th fret of a guitar's high E (1,319 Hz)
    static constexpr double kPeakRatio = 0.9;    // a key maximum this close to the highest is the period
    static constexpr double kMinClarity = 0.8;   // below: no clear period, no pitch

    // Off the audio thread: sizes everything for input at `rate` Hz. False for
    // a rate outside 8000..384000.
    bool prepare(double rate);

    // Audio thread: the next samples of input. Non-finite samples count as 0.
    void push(const float *in, std::size_t frames) noexcept;

    // The pitch of the last window of input (kWindowSeconds); silent below
    // `threshold_db` (RMS, dBFS). Never allocates.
    Pitch analyse(double threshold_db = -50.0) noexcept;

    // Forgets the input. Not while another thread runs push() or analyse().
    void reset() noexcept;

    // Any thread: push() starts listening afresh, and analyse() says nothing
    // until a whole window of the new input has been heard (a tuner turned on
    // must not read the note played minutes before).
    void restart() noexcept { restart_.store(true, std::memory_order_release); }

    double window_seconds() const noexcept { return static_cast<double>(window_) / decimated_rate_; }

private:
    Pitch measure(double threshold_db) noexcept;
    // On the decimated window: the period in decimated samples; `held`: the held note's (0: none).
    double search(std::size_t &lag, double held) noexcept;
    double refine(const float *x, std::size_t length, double period) const noexcept;  // in input samples
    double shortest_period(const float *x, double period) const noexcept;
    bool overtaken(std::size_t full, std::size_t length) const noexcept;
    double nsdf_full(const float *x, std::size_t length, std::size_t lag) const noexcept;
    std::size_t settle_samples(double hz) const noexcept;
    void low_pass(float *x, std::size_t length, double cutoff) const noexcept;

    double rate_ = 0.0, decimated_rate_ = 0.0;
    std::size_t factor_ = 1;          // decimation
    std::size_t window_ = 0;          // decimated samples analysed (a power of two)
    std::size_t full_window_ = 0;     // window_ * factor_: input samples of the same span

    // Rings written by push(); the counts are what analyse() reads to copy them out.
    std::vector<float> full_ring_, decimated_ring_;
    std::atomic<std::size_t> full_count_{0}, decimated_count_{0};
    std::atomic<bool> restart_{false};
    std::atomic<std::size_t> heard_from_{0};  // full_count_ at the last restart()
    std::vector<float> taps_, history_;  // the decimation filter and its delay line (2x, so reads are contiguous)
    std::size_t history_at_ = 0, phase_ = 0;

    // The note the last analysis found (its period in input samples, 0: none) and the level then.
    double held_period_ = 0.0, held_level_db_ = -200.0;

    // analyse()'s scratch.
    RealFft fft_;
    std::vector<float> x_, full_x_, fundamental_x_, padded_, re_, im_, acf_;
    std::vector<double> nsdf_;
};

}  // namespace pedal::dsp
