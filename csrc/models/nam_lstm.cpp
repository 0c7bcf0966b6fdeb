#include "models/nam_lstm.h"

#include <algorithm>

#include "layers/dot.h"

namespace pedal::models {

NamLstm::NamLstm(NamLstmSpec spec) : head_weights_(std::move(spec.head_weights)), head_bias_(spec.head_bias) {
    layers_.reserve(spec.layers.size());
    std::size_t widest = 1;
    for (NamLstmLayer &layer : spec.layers) {
        widest = std::max(widest, layer.hidden);
        layers_.emplace_back(layer.inputs, layer.hidden, std::move(layer.weights), std::move(layer.bias),
                             std::move(layer.initial_hidden), std::move(layer.initial_cell));
    }
    ping_.assign(kMaxChunk * widest, 0.0f);
    pong_.assign(kMaxChunk * widest, 0.0f);
}

void NamLstm::reset() noexcept {
    for (layers::Lstm &layer : layers_) layer.reset();
}

void NamLstm::process(const float *in, float *out, std::size_t frames) noexcept {
    for_each_chunk(in, out, frames, [this](const float *i, float *o, std::size_t n) { process_chunk(i, o, n); });
}

void NamLstm::process_chunk(const float *in, float *out, std::size_t frames) noexcept {
    // Layer by layer over the chunk: the first layer reads all of `in` before
    // the head writes `out`, so in == out is safe.
    const float *x = in;
    float *h = ping_.data(), *spare = pong_.data();
    for (layers::Lstm &layer : layers_) {
        layer.process(x, frames, h);
        x = h;
        std::swap(h, spare);
    }
    layers::dot_frames(x, frames, head_weights_.size(), head_weights_.data(), head_bias_, out);
}

}  // namespace pedal::models
