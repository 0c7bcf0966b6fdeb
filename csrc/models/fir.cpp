#include "models/fir.h"

#include <algorithm>

namespace pedal::models {

namespace {

// Conv1d's last tap is "now"; ours is the first.
std::vector<float> conv_order(const std::vector<float> &taps) { return {taps.rbegin(), taps.rend()}; }

}  // namespace

Fir::Fir(const std::vector<float> &taps, float bias)
    : conv_(1, 1, taps.size(), 1, conv_order(taps), std::vector<float>{bias}) {
    input_.configure(1, conv_.lookback(), kMaxChunk);
}

void Fir::process(const float *in, float *out, std::size_t frames) noexcept {
    while (frames > 0) {
        const std::size_t chunk = std::min(frames, kMaxChunk);
        float *history = input_.prepare(chunk);
        std::copy(in, in + chunk, history);  // read all of the chunk before writing: in == out is safe
        conv_.process(history, chunk, out);
        input_.advance(chunk);
        in += chunk;
        out += chunk;
        frames -= chunk;
    }
}

}  // namespace pedal::models
