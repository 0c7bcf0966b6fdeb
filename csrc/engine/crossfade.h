// Crossfades that keep the loudness constant whatever the two signals are.
//
// An equal-power fade (cos/sin) is right for unrelated signals but swells by
// up to 3 dB when both play the same note in phase, as two amp captures of
// one guitar or a capture and its dry input do; a linear fade is right for
// those and dips 3 dB for unrelated ones. The gains here keep the power
// constant for the correlation measured between the two signals:
//   g_from^2 + g_to^2 + 2 rho g_from g_to = 1,  g_from : g_to = (1-t) : t
// which is the equal-power fade at rho = 0 and the linear one at rho = 1.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace pedal::engine {

struct FadeGains {
    float from, to;
};

// t in [0, 1]; correlation clamped to [0, 1] (anti-correlated signals would
// ask for gains above unity).
inline FadeGains fade_gains(float t, float correlation) {
    const float rho = std::clamp(correlation, 0.0f, 1.0f);
    const float a = 1.0f - t, b = t;
    const float norm = std::sqrt(a * a + b * b + 2.0f * rho * a * b);
    return {a / norm, b / norm};
}

// Normalised correlation of two signals over roughly the last 50 ms
// (exponentially weighted), updated block by block on the audio thread.
class CorrelationMeter {
public:
    explicit CorrelationMeter(double sample_rate = 48000.0)
        : decay_(static_cast<float>(std::exp(-1.0 / (0.05 * sample_rate)))) {}

    void add(const float *a, const float *b, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) {
            ab_ = decay_ * ab_ + a[i] * b[i];
            aa_ = decay_ * aa_ + a[i] * a[i];
            bb_ = decay_ * bb_ + b[i] * b[i];
        }
    }

    float value() const {
        const float power = std::sqrt(aa_ * bb_);
        return power > 1e-12f ? ab_ / power : 0.0f;
    }

    void reset() { ab_ = aa_ = bb_ = 0.0f; }

private:
    float decay_;
    float ab_ = 0.0f, aa_ = 0.0f, bb_ = 0.0f;
};

}  // namespace pedal::engine
