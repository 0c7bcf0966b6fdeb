#include "models/nam_lstm.h"

namespace pedal::models {

NamLstm::NamLstm(NamLstmSpec spec) : head_weights_(std::move(spec.head_weights)), head_bias_(spec.head_bias) {
    layers_.reserve(spec.layers.size());
    for (NamLstmLayer &layer : spec.layers)
        layers_.emplace_back(layer.inputs, layer.hidden, std::move(layer.weights), std::move(layer.bias),
                             std::move(layer.initial_hidden), std::move(layer.initial_cell));
}

void NamLstm::reset() noexcept {
    for (layers::Lstm &layer : layers_) layer.reset();
}

void NamLstm::process(const float *in, float *out, std::size_t frames) noexcept {
    // The recurrence goes one frame at a time, so no chunking is needed; each
    // input is read before its output is written (in == out is safe).
    for (std::size_t t = 0; t < frames; ++t) {
        const float *x = in + t;
        for (layers::Lstm &layer : layers_) x = layer.step(x);
        float y = head_bias_;
        for (std::size_t u = 0; u < head_weights_.size(); ++u) y += head_weights_[u] * x[u];
        out[t] = y;
    }
}

}  // namespace pedal::models
