#include "dsp/pitch_detector.h"

#include <algorithm>
#include <cmath>

#include "dsp/fir_design.h"

namespace pedal::dsp {

namespace {

constexpr double kTargetRate = 12000.0;  // the search's rate: 1,500 Hz is well inside its band
constexpr double kCutoffRatio = 1.4;      // the fundamental's low-pass, times the note: the 2nd partial -20 dB
constexpr double kPi = 3.14159265358979323846;
constexpr double kFundamentalPeriods = 8.0;  // periods the fundamental is timed over, within 1..2 windows
constexpr double kSettlePeriods = 3.0;   // the fundamental's low-pass settles within this many periods
constexpr double kHeldReach = 0.035;     // a candidate this near the held note's period (60 cents) is that note
constexpr double kLobeEnd = 0.5;         // the lobe at lag 0 ends where the NSDF turns up from below this
constexpr double kPartRatio = 0.97;      // a part of the period this periodic (relative) is the period
constexpr double kOnsetDb = 6.0;         // the level rising this much between analyses: a new pluck

std::size_t next_power_of_two(std::size_t n) {
    std::size_t p = 1;
    while (p < n) p *= 2;
    return p;
}

// The vertex of the parabola through (-1, a), (0, b), (1, c): its offset from 0 and its height.
void parabola(double a, double b, double c, double &offset, double &height) {
    const double curve = a - 2.0 * b + c;
    offset = curve < 0.0 ? 0.5 * (a - c) / curve : 0.0;
    offset = std::clamp(offset, -0.5, 0.5);
    height = b - 0.25 * (a - c) * offset;
}

}  // namespace

bool PitchDetector::prepare(double rate) {
    if (!(rate >= 8000.0 && rate <= 384000.0)) return false;
    rate_ = rate;
    factor_ = std::max<std::size_t>(1, static_cast<std::size_t>(std::lround(rate / kTargetRate)));
    decimated_rate_ = rate / static_cast<double>(factor_);
    window_ = next_power_of_two(static_cast<std::size_t>(std::ceil(2.0 * decimated_rate_ / kLowestHz)));
    full_window_ = window_ * factor_;
    // Twice the longest read (the fundamental's: up to two windows, and its filter's start):
    // room between reader and writer. The decimated ring spans as long as the full one.
    full_ring_.assign(next_power_of_two(2 * (2 * full_window_ + settle_samples(kLowestHz))), 0.0f);
    decimated_ring_.assign(full_ring_.size() / factor_, 0.0f);
    // Pass to 0.3 of the decimated rate, stop from its Nyquist on (-60 dB): nothing folds into the notes.
    const double transition = 0.2 * decimated_rate_ / rate;
    std::size_t length = fir::kaiser_length(60.0, transition);
    length |= 1;  // odd: a whole-sample delay
    const std::vector<double> design = fir::kaiser_lowpass(length, 0.4 * decimated_rate_ / rate, fir::kaiser_beta(60.0));
    double sum = 0.0;
    for (double tap : design) sum += tap;
    taps_.resize(length);
    for (std::size_t i = 0; i < length; ++i) taps_[i] = static_cast<float>(design[i] / sum);
    history_.assign(2 * length, 0.0f);
    fft_.prepare(2 * window_);
    x_.assign(window_, 0.0f);
    full_x_.assign(full_window_, 0.0f);
    fundamental_x_.assign(2 * full_window_ + settle_samples(kLowestHz), 0.0f);
    padded_.assign(2 * window_, 0.0f);
    re_.assign(window_ + 1, 0.0f);
    im_.assign(window_ + 1, 0.0f);
    acf_.assign(2 * window_, 0.0f);
    nsdf_.assign(window_ / 2 + 1, 0.0);
    reset();
    return true;
}

void PitchDetector::reset() noexcept {
    std::fill(full_ring_.begin(), full_ring_.end(), 0.0f);
    std::fill(decimated_ring_.begin(), decimated_ring_.end(), 0.0f);
    std::fill(history_.begin(), history_.end(), 0.0f);
    full_count_.store(0, std::memory_order_relaxed);
    decimated_count_.store(0, std::memory_order_relaxed);
    restart_.store(false, std::memory_order_relaxed);
    heard_from_.store(0, std::memory_order_relaxed);
    history_at_ = phase_ = 0;
    held_period_ = 0.0;
    held_level_db_ = -200.0;
}

// Samples a low-pass just above a note of `hz` takes to settle: its first few periods.
std::size_t PitchDetector::settle_samples(double hz) const noexcept {
    return static_cast<std::size_t>(std::ceil(kSettlePeriods * rate_ / hz));
}

// x[0..length) low-passed in place by a 4th-order Butterworth at `cutoff` Hz (two RBJ biquads
// with the Butterworth poles' Qs, 0.5412 and 1.3066, in double), from rest.
void PitchDetector::low_pass(float *x, std::size_t length, double cutoff) const noexcept {
    static constexpr double kQ[2] = {0.54119610014619698, 1.3065629648763766};
    const double w = 2.0 * kPi * std::min(cutoff, 0.45 * rate_) / rate_;
    const double cw = std::cos(w), sw = std::sin(w);
    for (int s = 0; s < 2; ++s) {
        const double alpha = sw / (2.0 * kQ[s]), a0 = 1.0 + alpha;
        const double b0 = (1.0 - cw) / 2.0 / a0, b1 = (1.0 - cw) / a0, a1 = -2.0 * cw / a0, a2 = (1.0 - alpha) / a0;
        double z0 = 0.0, z1 = 0.0;  // transposed direct form II
        for (std::size_t i = 0; i < length; ++i) {
            const double in = x[i], out = b0 * in + z0;
            z0 = b1 * in - a1 * out + z1;
            z1 = b0 * in - a2 * out;
            x[i] = static_cast<float>(out);
        }
    }
}

void PitchDetector::push(const float *in, std::size_t frames) noexcept {
    if (taps_.empty()) return;
    const std::size_t full_mask = full_ring_.size() - 1, length = taps_.size();
    std::size_t full = full_count_.load(std::memory_order_relaxed);
    std::size_t decimated = decimated_count_.load(std::memory_order_relaxed);
    if (restart_.exchange(false, std::memory_order_acquire)) heard_from_.store(full, std::memory_order_relaxed);
    for (std::size_t i = 0; i < frames; ++i) {
        const float x = std::isfinite(in[i]) ? in[i] : 0.0f;
        full_ring_[full++ & full_mask] = x;
        history_[history_at_] = history_[history_at_ + length] = x;
        history_at_ = history_at_ + 1 == length ? 0 : history_at_ + 1;
        if (++phase_ < factor_) continue;
        phase_ = 0;
        const float *window = history_.data() + history_at_;  // the last `length` inputs, oldest first
        float sum = 0.0f;
        for (std::size_t k = 0; k < length; ++k) sum += taps_[k] * window[k];
        decimated_ring_[decimated++ % decimated_ring_.size()] = sum;
    }
    full_count_.store(full, std::memory_order_release);
    decimated_count_.store(decimated, std::memory_order_release);
}

// The note found is held for the next analysis: when a candidate near its period is nearly as
// clear as the clearest, it is taken (no octave jump as a low string's fundamental fades below
// its octave, nor as noise lifts a multiple of the period), unless the level rose as a new pluck does.
Pitch PitchDetector::analyse(double threshold_db) noexcept {
    const Pitch pitch = measure(threshold_db);
    held_period_ = pitch.hz > 0.0 ? rate_ / pitch.hz : 0.0;
    held_level_db_ = pitch.level_db;
    return pitch;
}

Pitch PitchDetector::measure(double threshold_db) noexcept {
    Pitch pitch;
    if (taps_.empty()) return pitch;
    const std::size_t full = full_count_.load(std::memory_order_acquire);
    const std::size_t decimated = decimated_count_.load(std::memory_order_acquire);
    // Not a whole window heard yet (since the start, or the last restart(), or one push() has yet to see).
    if (restart_.load(std::memory_order_acquire) || decimated < window_ || full - heard_from_.load(std::memory_order_relaxed) < full_window_) return pitch;
    for (std::size_t i = 0; i < window_; ++i)
        x_[i] = decimated_ring_[(decimated - window_ + i) % decimated_ring_.size()];
    const std::size_t full_mask = full_ring_.size() - 1;
    double energy = 0.0;
    for (std::size_t i = 0; i < full_window_; ++i) {
        full_x_[i] = full_ring_[(full - full_window_ + i) & full_mask];
        energy += static_cast<double>(full_x_[i]) * full_x_[i];
    }
    if (overtaken(full, full_window_)) return pitch;
    const double rms = std::sqrt(energy / static_cast<double>(full_window_));
    pitch.level_db = rms > 0.0 ? 20.0 * std::log10(rms) : -200.0;
    if (pitch.level_db < threshold_db) return pitch;
    std::size_t lag = 0;
    const bool plucked = pitch.level_db > held_level_db_ + kOnsetDb;
    const double held = plucked ? 0.0 : held_period_ / static_cast<double>(factor_);
    const double coarse = search(lag, held);
    if (coarse <= 0.0) return pitch;
    double period = refine(full_x_.data(), full_window_, coarse * static_cast<double>(factor_));
    if (period <= 0.0) return pitch;
    if (held <= 0.0 || std::fabs(coarse - held) > kHeldReach * held) period = shortest_period(full_x_.data(), period);
    const std::size_t whole = static_cast<std::size_t>(std::lround(period));
    double offset = 0.0;
    const float *x = full_x_.data();
    parabola(nsdf_full(x, full_window_, whole - 1), nsdf_full(x, full_window_, whole),
             nsdf_full(x, full_window_, whole + 1), offset, pitch.clarity);
    if (pitch.clarity < kMinClarity) {
        pitch.clarity = std::max(pitch.clarity, 0.0);
        return pitch;
    }
    // The fundamental alone: the input low-passed just above the note found, its period timed
    // over several of them (a low note's over up to twice the window, as much as was heard):
    // the error of a period measured in noise falls with the cube of the time it is measured over.
    const double note = rate_ / period;
    // (A refined period may lie a little below kLowestHz: its start is kept within the scratch.)
    const std::size_t settle = std::min(settle_samples(note), fundamental_x_.size() - 2 * full_window_);
    const std::size_t heard = full - heard_from_.load(std::memory_order_relaxed);
    const std::size_t length = std::min(heard > settle ? heard - settle : 0,
                                        std::clamp(static_cast<std::size_t>(kFundamentalPeriods * rate_ / note),
                                                   full_window_, 2 * full_window_));
    if (length >= full_window_) {
        for (std::size_t i = 0; i < settle + length; ++i)
            fundamental_x_[i] = full_ring_[(full - settle - length + i) & full_mask];
        if (overtaken(full, settle + length)) return Pitch{0.0, 0.0, pitch.level_db};
        low_pass(fundamental_x_.data(), settle + length, kCutoffRatio * note);
        // A near-sine repeats at every multiple of its period: timed over k of them at once, the
        // period's error is k times smaller (k: as many as half the span holds).
        const float *fundamental = fundamental_x_.data() + settle;
        const double k = std::max(1.0, std::floor(static_cast<double>(length) / (2.0 * period)));
        const double periods = refine(fundamental, length, k * period);
        if (periods > 0.0) period = periods / k;
    }
    pitch.hz = rate_ / period;
    return pitch;
}

// True when push() has written over some of the `length` samples before `full`
// while analyse() copied them (the decimated ring spans as long as the full
// ones and its window as long as full_window_: the same test covers it).
bool PitchDetector::overtaken(std::size_t full, std::size_t length) const noexcept {
    const std::size_t now = full_count_.load(std::memory_order_acquire);
    return now - full > full_ring_.size() - length;
}

// McLeod's peak picking on the decimated window's NSDF: the first key maximum
// within kPeakRatio of the highest, refined by a parabola; 0 when there is none.
double PitchDetector::search(std::size_t &lag, double held) noexcept {
    // r(tau) for every lag at once: the inverse FFT of the zero-padded window's power spectrum.
    std::copy(x_.begin(), x_.end(), padded_.begin());
    std::fill(padded_.begin() + static_cast<long>(window_), padded_.end(), 0.0f);
    fft_.forward(padded_.data(), re_.data(), im_.data());
    for (std::size_t k = 0; k <= window_; ++k) {
        re_[k] = re_[k] * re_[k] + im_[k] * im_[k];
        im_[k] = 0.0f;
    }
    fft_.inverse(re_.data(), im_.data(), acf_.data());
    const std::size_t longest = std::min(window_ / 2, static_cast<std::size_t>(std::ceil(decimated_rate_ / kLowestHz)));
    const std::size_t shortest = std::max<std::size_t>(2, static_cast<std::size_t>(decimated_rate_ / kHighestHz));
    double m = 0.0;
    for (float v : x_) m += 2.0 * static_cast<double>(v) * v;
    for (std::size_t tau = 0; tau <= longest; ++tau) {
        if (tau > 0) {
            const double a = x_[tau - 1], b = x_[window_ - tau];
            m -= a * a + b * b;
        }
        nsdf_[tau] = m > 1e-20 ? 2.0 * acf_[tau] / m : 0.0;
    }
    // Candidates: the local maxima of the NSDF where it is positive, past the lobe at lag 0. (Not
    // McLeod's one key maximum per positive stretch: a stretch may hold the period and its
    // multiples, when the NSDF does not dip below zero between them. Nor need it dip below zero
    // before the first period, with a strong second harmonic: the lobe ends at its first low valley.)
    std::size_t start = 1;
    while (start < longest && nsdf_[start] > 0.0 && !(nsdf_[start] < kLobeEnd && nsdf_[start + 1] > nsdf_[start])) ++start;
    const auto is_peak = [&](std::size_t tau) {
        return tau >= shortest && nsdf_[tau] > 0.0 && nsdf_[tau] > nsdf_[tau - 1] && nsdf_[tau] >= nsdf_[tau + 1];
    };
    // A peak's height between the grid's lags (a bright note's peak is sharp: its top can fall
    // between two lags, lower there than a multiple of the period that falls on one).
    const auto top = [&](std::size_t tau, double &offset) {
        double height = 0.0;
        parabola(nsdf_[tau - 1], nsdf_[tau], nsdf_[tau + 1], offset, height);
        return height;
    };
    double highest = 0.0, offset = 0.0;
    for (std::size_t tau = start; tau < longest; ++tau)
        if (is_peak(tau)) highest = std::max(highest, top(tau, offset));
    if (highest <= 0.0) return 0.0;
    // The note held: a candidate near its period, nearly as clear as the clearest, keeps it (see analyse()).
    lag = 0;
    double best = 0.0;
    if (held > 0.0) {
        for (std::size_t tau = start; tau < longest; ++tau) {
            if (!is_peak(tau) || std::fabs(static_cast<double>(tau) - held) > kHeldReach * held) continue;
            const double height = top(tau, offset);
            if (height >= kPeakRatio * highest && height > best) {
                best = height;
                lag = tau;
            }
        }
    }
    for (std::size_t tau = start; lag == 0 && tau < longest; ++tau)
        if (is_peak(tau) && top(tau, offset) >= kPeakRatio * highest) lag = tau;
    if (lag == 0) return 0.0;
    top(lag, offset);
    return static_cast<double>(lag) + offset;
}

// The search's grid (decimated samples) can miss the top of a bright note's sharp NSDF peak, and
// find a multiple of its period clearer: a whole part of the period found (a half, a third, a
// quarter) that is as periodic at the input's rate is the note's period.
double PitchDetector::shortest_period(const float *x, double period) const noexcept {
    const double clarity = nsdf_full(x, full_window_, static_cast<std::size_t>(std::lround(period)));
    for (int parts = 4; parts >= 2; --parts) {
        const double part = period / parts;
        if (part < rate_ / kHighestHz) continue;
        const double refined = refine(x, full_window_, part);
        if (refined > 0.0 && nsdf_full(x, full_window_, static_cast<std::size_t>(std::lround(refined))) >= kPartRatio * clarity)
            return refined;
    }
    return period;
}

// n(tau) at the input's own rate, over `length` samples of `x`.
double PitchDetector::nsdf_full(const float *x, std::size_t length, std::size_t lag) const noexcept {
    if (lag == 0 || lag >= length) return 0.0;
    double r = 0.0, m = 0.0;
    for (std::size_t j = 0; j + lag < length; ++j) {
        r += static_cast<double>(x[j]) * x[j + lag];
        m += static_cast<double>(x[j]) * x[j] + static_cast<double>(x[j + lag]) * x[j + lag];
    }
    return m > 1e-20 ? 2.0 * r / m : 0.0;
}

// The highest n(tau) of `length` samples of `x` at the full rate near `period` (the search's
// estimate times the decimation factor), and the vertex of the parabola through it and its neighbours.
double PitchDetector::refine(const float *x, std::size_t length, double period) const noexcept {
    const std::size_t centre = static_cast<std::size_t>(std::lround(period));
    // The estimate is good to a decimated sample, and to a fraction of a percent.
    const std::size_t reach = std::max(factor_ + 1, static_cast<std::size_t>(std::ceil(0.01 * period)));
    if (centre <= reach + 1 || centre + reach + 1 >= length) return 0.0;
    std::size_t best = centre;
    double best_value = -2.0;
    for (std::size_t lag = centre - reach; lag <= centre + reach; ++lag) {
        const double value = nsdf_full(x, length, lag);
        if (value > best_value) {
            best_value = value;
            best = lag;
        }
    }
    double offset = 0.0, height = 0.0;
    parabola(nsdf_full(x, length, best - 1), best_value, nsdf_full(x, length, best + 1), offset, height);
    return static_cast<double>(best) + offset;
}

}  // namespace pedal::dsp
