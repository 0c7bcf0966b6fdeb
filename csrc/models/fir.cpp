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
    for_each_chunk(in, out, frames, [this](const float *i, float *o, std::size_t n) {
        float *history = input_.prepare(n);
        std::copy(i, i + n, history);  // read all of the chunk before writing: in == out is safe
        conv_.process(history, n, o);
        input_.advance(n);
    });
}

}  // namespace pedal::models
