#include "models/gated_wavenet.h"

#include <algorithm>

#include "layers/simd.h"

namespace pedal::models {

using Activation = GatedWaveNetSpec::Activation;

namespace {

// Columns [first, first + count) of weights [kernel][in][width] and of bias [width].
struct Half {
    std::vector<float> weights, bias;

    void scale(float factor) {
        for (float &w : weights) w *= factor;
        for (float &b : bias) b *= factor;
    }
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

// skips[t][c] += weights[c] * activated[t][c] for t < frames. Channels > 0 fixes
// the count at compile time, in whole vectors with the weights held in
// registers (left to itself, GCC vectorises this across frames with
// permutes); 0 takes the count from the argument.
template <std::size_t Channels>
void add_skips(const float *weights, const float *activated, std::size_t frames, std::size_t channels,
               float *skips) {
    if constexpr (Channels > 0) {
        static_assert(Channels % layers::simd::kWidth == 0, "whole vectors only");
        constexpr std::size_t kVectors = Channels / layers::simd::kWidth;
        layers::simd::Vec w[kVectors];
        PEDAL_UNROLL
        for (std::size_t v = 0; v < kVectors; ++v) layers::simd::load(w[v], weights + v * layers::simd::kWidth);
        for (std::size_t t = 0; t < frames; ++t) {
            PEDAL_UNROLL
            for (std::size_t v = 0; v < kVectors; ++v) {
                const std::size_t at = t * Channels + v * layers::simd::kWidth;
                layers::simd::Vec sum, value;
                layers::simd::load(sum, skips + at);
                layers::simd::load(value, activated + at);
                sum += w[v] * value;
                layers::simd::store(skips + at, sum);
            }
        }
    } else {
        for (std::size_t t = 0; t < frames; ++t)
            for (std::size_t c = 0; c < channels; ++c) skips[t * channels + c] += weights[c] * activated[t * channels + c];
    }
}

GatedWaveNet::SkipKernel select_add_skips(std::size_t channels) {
    switch (channels) {  // WaveNetVA / PedalNetRT widths that are whole vectors on every target
        case 8: return &add_skips<8>;
        case 16: return &add_skips<16>;
        case 24: return &add_skips<24>;
        case 32: return &add_skips<32>;
        default: return &add_skips<0>;
    }
}

}  // namespace

GatedWaveNet::GatedWaveNet(GatedWaveNetSpec spec)
    : spec_(std::move(spec)), add_skips_(select_add_skips(spec_.channels)) {
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
            if (spec_.activation == Activation::Gated) {  // the gate takes 2a and -b (exact scalings)
                filter.scale(2.0f);
                gate.scale(-1.0f);
            }
            layer.conv = layers::Conv1d(channels, channels, spec_.kernel, source.dilation, std::move(filter.weights),
                                        std::move(filter.bias));
            layer.gate_conv = layers::Conv1d(channels, channels, spec_.kernel, source.dilation,
                                             std::move(gate.weights), std::move(gate.bias));
            std::vector<float>().swap(source.conv_weights);  // the halves hold them now
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
    input_conv_ = layers::Conv1d(1, channels, 1, 1, spec_.input_weights, spec_.input_bias);
    // out[t] = mix bias + the sum of the skips' channels: a C -> 1 conv with unit weights.
    mix_sum_ = layers::Conv1d(channels, 1, 1, 1, std::vector<float>(channels, 1.0f), {spec_.mix_bias});
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
    input_conv_.process(in, frames, residual);

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
        add_skips_(layer.mix_weights, activated, frames, channels, skips);

        layer.input.advance(frames);
        // The last layer's residual output feeds nothing, so it is not computed.
        if (n + 1 == layers_.size()) break;
        float *next = layers_[n + 1].input.prepare(frames);
        layer.residual.process(activated, frames, next, residual, nullptr, nullptr);
        residual = next;
    }
    mix_sum_.process(skips, frames, out);
}

}  // namespace pedal::models
