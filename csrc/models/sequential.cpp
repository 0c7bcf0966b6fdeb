#include "models/sequential.h"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace pedal::models {

namespace {

struct Widths {
    std::size_t in, out;
};

Widths widths_of(const SequentialLayer &layer) {
    return std::visit(
        [](const auto &l) -> Widths {
            using T = std::decay_t<decltype(l)>;
            if constexpr (std::is_same_v<T, layers::Conv1d>) return {l.in_channels(), l.out_channels()};
            else if constexpr (std::is_same_v<T, layers::Lstm> || std::is_same_v<T, layers::Gru>)
                return {l.inputs(), l.hidden()};
            else return {l.channels(), l.channels()};
        },
        layer);
}

std::size_t lookback_of(const SequentialLayer &layer) {
    const auto *conv = std::get_if<layers::Conv1d>(&layer);
    return conv ? conv->lookback() : 0;
}

bool recurrent(const SequentialLayer &layer) {
    return std::holds_alternative<layers::Lstm>(layer) || std::holds_alternative<layers::Gru>(layer);
}

}  // namespace

Sequential::Sequential(SequentialSpec spec) : spec_(std::move(spec)) {
    if (spec_.inputs == 0 || spec_.knob_values.size() + 1 != spec_.inputs)
        throw std::invalid_argument("sequential: knob values do not match the input width");
    if (spec_.layers.empty()) throw std::invalid_argument("sequential: no layers");
    knobs_.configure(spec_.knob_values, spec_.knob_glide_frames);
    widths_.push_back(spec_.inputs);
    histories_.resize(spec_.layers.size());
    bool unbounded = false;
    std::size_t lookback_sum = 0;
    for (std::size_t n = 0; n < spec_.layers.size(); ++n) {
        const Widths w = widths_of(spec_.layers[n]);
        if (w.in != widths_.back() || w.out == 0)
            throw std::invalid_argument("sequential: layer " + std::to_string(n) + " takes " + std::to_string(w.in) +
                                        " values but receives " + std::to_string(widths_.back()));
        widths_.push_back(w.out);
        const std::size_t lookback = lookback_of(spec_.layers[n]);
        if (lookback > 0) histories_[n].configure(w.in, lookback, kMaxChunk);
        lookback_sum += lookback;
        unbounded = unbounded || recurrent(spec_.layers[n]);
    }
    receptive_field_ = unbounded ? 0 : 1 + lookback_sum;
    const std::size_t widest = *std::max_element(widths_.begin(), widths_.end());
    ping_.assign(kMaxChunk * widest, 0.0f);
    pong_.assign(kMaxChunk * widest, 0.0f);
    audio_.assign(kMaxChunk, 0.0f);
}

void Sequential::reset() noexcept {
    for (SequentialLayer &layer : spec_.layers) {
        if (auto *lstm = std::get_if<layers::Lstm>(&layer)) lstm->reset();
        if (auto *gru = std::get_if<layers::Gru>(&layer)) gru->reset();
    }
    for (layers::History &history : histories_) history.reset();
    knobs_.reset();
}

void Sequential::process(const float *in, float *out, std::size_t frames) noexcept {
    for_each_chunk(in, out, frames, [this](const float *i, float *o, std::size_t n) { process_chunk(i, o, n); });
}

void Sequential::process_chunk(const float *in, float *out, std::size_t frames) noexcept {
    // The chunk's input is fully read here, which is what makes in == out safe.
    const std::size_t inputs = spec_.inputs;
    float *frame = ping_.data();  // forward() starts from ping_, so no copy
    for (std::size_t t = 0; t < frames; ++t) {
        audio_[t] = in[t] * spec_.input_gain;
        frame[t * inputs] = audio_[t];
    }
    knobs_.fill(frame, inputs, 1, frames);
    const float *net = forward(frame, frames);
    const std::size_t width = output_width();
    for (std::size_t t = 0; t < frames; ++t)
        out[t] = (net[t * width] + (spec_.skip ? audio_[t] : 0.0f)) * spec_.output_gain;
}

const float *Sequential::forward(const float *input_frames, std::size_t frames) noexcept {
    float *current = ping_.data(), *spare = pong_.data();
    if (input_frames != current) std::copy(input_frames, input_frames + frames * widths_[0], current);
    for (std::size_t n = 0; n < spec_.layers.size(); ++n) {
        const std::size_t in_width = widths_[n], out_width = widths_[n + 1];
        bool swapped = true;
        std::visit(
            [&](auto &layer) {
                using T = std::decay_t<decltype(layer)>;
                if constexpr (std::is_same_v<T, layers::Conv1d>) {
                    if (layer.lookback() == 0) {
                        layer.process(current, frames, spare);
                    } else {
                        // The convolution reads taps behind the chunk: copy the chunk
                        // in behind this layer's kept look-back.
                        layers::History &history = histories_[n];
                        float *window = history.prepare(frames);
                        std::copy(current, current + frames * in_width, window);
                        layer.process(window, frames, spare);
                        history.advance(frames);
                    }
                } else if constexpr (std::is_same_v<T, layers::Lstm>) {
                    layer.process(current, frames, spare);
                } else if constexpr (std::is_same_v<T, layers::Gru>) {
                    for (std::size_t t = 0; t < frames; ++t) {
                        const float *h = layer.step(current + t * in_width);
                        std::copy(h, h + out_width, spare + t * out_width);
                    }
                } else {
                    static_assert(std::is_same_v<T, layers::PRelu> || std::is_same_v<T, layers::BatchNorm> ||
                                      std::is_same_v<T, layers::ActivationLayer>,
                                  "a new layer kind needs its own case here");
                    layer.process(current, frames);  // element-wise: in place
                    swapped = false;
                }
            },
            spec_.layers[n]);
        if (swapped) std::swap(current, spare);
    }
    return current;
}

}  // namespace pedal::models
