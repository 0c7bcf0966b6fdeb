#include "models/gated_wavenet.h"

#include <algorithm>

namespace pedal::models {

using Activation = GatedWaveNetSpec::Activation;

namespace {

// Columns [first, first + count) of weights [kernel][in][width] and of bias [width].
struct Half {
    std::vector<float> weights, bias;
};

Half columns(const std::vector<float> &weights, const std::vector<float> &bias, std::size_t width,
             std::size_t first, std::size_t count) {
    Half half;
    const std::size_t rows = weights.size() / width;  // kernel * in
    half.weights.reserve(rows * count);
    for (std::size_t r = 0; r < rows; ++r)
        half.weights.insert(half.weights.end(), weights.begin() + static_cast<std::ptrdiff_t>(r * width + first),
                            weights.begin() + static_cast<std::ptrdiff_t>(r * width + first + count));
    half.bias.assign(bias.begin() + static_cast<std::ptrdiff_t>(first),
                     bias.begin() + static_cast<std::ptrdiff_t>(first + count));
    return half;
}

}  // namespace

GatedWaveNet::GatedWaveNet(GatedWaveNetSpec spec) : spec_(std::move(spec)) {
    const std::size_t channels = spec_.channels;
    const std::size_t width = spec_.conv_width();
    layers_.resize(spec_.layers.size());
    std::size_t dilation_sum = 0;
    for (std::size_t n = 0; n < layers_.size(); ++n) {
        GatedWaveNetLayer &source = spec_.layers[n];
        Layer &layer = layers_[n];
        if (spec_.gated()) {
            Half filter = columns(source.conv_weights, source.conv_bias, width, 0, channels);
            Half gate = columns(source.conv_weights, source.conv_bias, width, channels, channels);
            layer.conv = layers::Conv1d(channels, channels, spec_.kernel, source.dilation, std::move(filter.weights),
                                        std::move(filter.bias));
            layer.gate_conv = layers::Conv1d(channels, channels, spec_.kernel, source.dilation,
                                             std::move(gate.weights), std::move(gate.bias));
        } else {
            layer.conv = layers::Conv1d(channels, width, spec_.kernel, source.dilation,
                                        std::move(source.conv_weights), std::move(source.conv_bias));
        }
        layer.residual = layers::Conv1d(channels, channels, 1, 1, std::move(source.residual_weights),
                                        std::move(source.residual_bias));
        layer.input.configure(channels, layer.conv.lookback(), kMaxChunk);
        layer.mix_weights = spec_.mix_weights.data() + n * channels;
        dilation_sum += source.dilation;
    }
    receptive_field_ = 1 + (spec_.kernel - 1) * dilation_sum;
    pre_activation_.assign(kMaxChunk * channels, 0.0f);
    gate_input_.assign(kMaxChunk * channels, 0.0f);
    activated_.assign(kMaxChunk * channels, 0.0f);
    skips_.assign(kMaxChunk * channels, 0.0f);
}

void GatedWaveNet::reset() noexcept {
    for (Layer &layer : layers_) layer.input.reset();
}

void GatedWaveNet::process(const float *in, float *out, std::size_t frames) noexcept {
    for_each_chunk(in, out, frames, [this](const float *i, float *o, std::size_t n) { process_chunk(i, o, n); });
}

void GatedWaveNet::apply_activation(std::size_t frames) noexcept {
    const std::size_t count = frames * spec_.channels;
    float *pre = pre_activation_.data();
    float *activated = activated_.data();
    switch (spec_.activation) {
        case Activation::Gated:
            layers::gate(layers::Gate::TanhSigmoid, pre, gate_input_.data(), count, activated);
            return;
        case Activation::Softgated:
            layers::gate(layers::Gate::SoftsignSoftsign, pre, gate_input_.data(), count, activated);
            return;
        case Activation::Tanh: layers::activate_in_place(layers::Activation::Tanh, pre, count); break;
        case Activation::Sigmoid: layers::activate_in_place(layers::Activation::Sigmoid, pre, count); break;
        case Activation::ReLU: layers::activate_in_place(layers::Activation::ReLU, pre, count); break;
        case Activation::Softsign: layers::activate_in_place(layers::Activation::Softsign, pre, count); break;
        case Activation::Linear: break;
    }
    std::copy(pre, pre + count, activated);
}

void GatedWaveNet::process_chunk(const float *in, float *out, std::size_t frames) noexcept {
    const std::size_t channels = spec_.channels;
    if (layers_.empty()) {
        for (std::size_t t = 0; t < frames; ++t) out[t] = spec_.mix_bias;
        return;
    }

    // Input 1x1 conv writes straight into the first layer's history. The
    // chunk's input is fully read here, which is what makes in == out safe.
    float *residual = layers_[0].input.prepare(frames);
    for (std::size_t t = 0; t < frames; ++t)
        for (std::size_t c = 0; c < channels; ++c)
            residual[t * channels + c] = spec_.input_bias[c] + spec_.input_weights[c] * in[t];

    // The mix over every layer's gated output is summed per channel across the
    // layers (whole vectors), and over the channels once at the end, instead
    // of a dot product per frame and layer.
    float *skips = skips_.data();
    std::fill(skips, skips + frames * channels, 0.0f);
    for (std::size_t n = 0; n < layers_.size(); ++n) {
        Layer &layer = layers_[n];
        layer.conv.process(residual, frames, pre_activation_.data());
        if (spec_.gated()) layer.gate_conv.process(residual, frames, gate_input_.data());
        apply_activation(frames);

        // Skip: the mix reads the gated output before the residual 1x1 conv.
        const float *activated = activated_.data();
        for (std::size_t t = 0; t < frames; ++t)
            for (std::size_t c = 0; c < channels; ++c)
                skips[t * channels + c] += layer.mix_weights[c] * activated[t * channels + c];

        layer.input.advance(frames);
        // The last layer's residual output feeds nothing, so it is not computed.
        if (n + 1 == layers_.size()) break;
        float *next = layers_[n + 1].input.prepare(frames);
        layer.residual.process(activated, frames, next, residual, nullptr, nullptr);
        residual = next;
    }
    for (std::size_t t = 0; t < frames; ++t) {
        float sum = spec_.mix_bias;
        for (std::size_t c = 0; c < channels; ++c) sum += skips[t * channels + c];
        out[t] = sum;
    }
}

}  // namespace pedal::models
