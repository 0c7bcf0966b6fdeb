#include "models/nam_wavenet.h"

#include <algorithm>

namespace pedal::models {

NamWaveNet::NamWaveNet(NamWaveNetSpec spec) : spec_(std::move(spec)) {
    std::size_t widest = 1, widest_head = 1;
    receptive_field_ = 1;
    arrays_.resize(spec_.arrays.size());
    for (std::size_t a = 0; a < arrays_.size(); ++a) {
        NamWaveNetArray &source = spec_.arrays[a];
        Array &array = arrays_[a];
        const std::size_t channels = source.channels;
        widest = std::max(widest, channels);
        widest_head = std::max(widest_head, source.head_size);
        array.rechannel = layers::Conv1d(source.input_size, channels, 1, 1, std::move(source.rechannel_weights), {});
        array.layers.resize(source.layers.size());
        for (std::size_t j = 0; j < source.layers.size(); ++j) {
            NamWaveNetLayer &layer_spec = source.layers[j];
            Layer &layer = array.layers[j];
            const std::size_t width = layer_spec.gated ? 2 * channels : channels;
            layer.conv = layers::Conv1d(channels, width, layer_spec.kernel, layer_spec.dilation,
                                        std::move(layer_spec.conv_weights), std::move(layer_spec.conv_bias));
            layer.residual = layers::Conv1d(channels, channels, 1, 1, std::move(layer_spec.residual_weights),
                                            std::move(layer_spec.residual_bias));
            layer.spec = &layer_spec;
            state_.layer_inputs.emplace_back();
            state_.layer_inputs.back().configure(channels, layer.conv.lookback(), kMaxChunk);
            receptive_field_ += layer.conv.lookback();
        }
        array.head = layers::Conv1d(channels, source.head_size, source.head_kernel, 1, std::move(source.head_weights),
                                    std::move(source.head_bias));
        state_.head_sums.emplace_back();
        state_.head_sums.back().configure(channels, array.head.lookback(), kMaxChunk);
        receptive_field_ += array.head.lookback();
    }
    pre_activation_.assign(kMaxChunk * 2 * widest, 0.0f);
    activated_.assign(kMaxChunk * widest, 0.0f);
    stream_.assign(kMaxChunk * widest, 0.0f);
    head_out_.assign(kMaxChunk * widest_head, 0.0f);

    // NAM's reference pads the input with RF-1 zeros, so at start-up every
    // history holds the network's response to silence, not zeros. Running that
    // silence once here and keeping the state makes reset() a copy.
    const std::vector<float> silence(kMaxChunk, 0.0f);
    std::vector<float> discard(kMaxChunk);
    for (std::size_t left = receptive_field_ - 1; left > 0;) {
        const std::size_t chunk = std::min(left, kMaxChunk);
        process_chunk(silence.data(), discard.data(), chunk);
        left -= chunk;
    }
    prewarmed_ = state_;
}

void NamWaveNet::reset() noexcept {
    // Same sizes on both sides: vector copy-assignment reuses the storage.
    for (std::size_t i = 0; i < state_.layer_inputs.size(); ++i) state_.layer_inputs[i] = prewarmed_.layer_inputs[i];
    for (std::size_t i = 0; i < state_.head_sums.size(); ++i) state_.head_sums[i] = prewarmed_.head_sums[i];
}

void NamWaveNet::process(const float *in, float *out, std::size_t frames) noexcept {
    for_each_chunk(in, out, frames, [this](const float *i, float *o, std::size_t n) { process_chunk(i, o, n); });
}

void NamWaveNet::process_chunk(const float *in, float *out, std::size_t frames) noexcept {
    // `in` is read by array 0's rechannel and by every layer's mixin; `out` is
    // written last, which is what makes in == out safe.
    const float *array_input = in;
    std::size_t layer_index = 0;
    for (std::size_t a = 0; a < arrays_.size(); ++a) {
        Array &array = arrays_[a];
        const std::size_t channels = spec_.arrays[a].channels;
        const bool last_array = a + 1 == arrays_.size();

        float *residual = state_.layer_inputs[layer_index].prepare(frames);
        array.rechannel.process(array_input, frames, residual);

        // Array 0's head sum starts at zero, a later array's at the previous head's output.
        layers::History &head_history = state_.head_sums[a];
        float *head_sum = head_history.prepare(frames);
        if (a == 0) {
            std::fill(head_sum, head_sum + frames * channels, 0.0f);
        } else {
            std::copy(head_out_.begin(), head_out_.begin() + static_cast<std::ptrdiff_t>(frames * channels), head_sum);
        }

        for (std::size_t j = 0; j < array.layers.size(); ++j, ++layer_index) {
            Layer &layer = array.layers[j];
            const NamWaveNetLayer &spec = *layer.spec;
            const std::size_t width = spec.gated ? 2 * channels : channels;
            float *pre = pre_activation_.data();
            // The conv, with the raw input's 1x1 mixin as one more input channel.
            layer.conv.process(residual, frames, pre, nullptr, in, spec.mixin_weights.data());

            // The activated rows: in place for a plain layer, the gate's product otherwise.
            const float *activated = pre;
            spec.activation.apply(pre, frames, channels, width);
            if (spec.gated) {
                spec.gate.apply(pre + channels, frames, channels, width);
                float *product = activated_.data();
                for (std::size_t t = 0; t < frames; ++t)
                    for (std::size_t c = 0; c < channels; ++c)
                        product[t * channels + c] = pre[t * width + c] * pre[t * width + channels + c];
                activated = product;
            }
            for (std::size_t i = 0; i < frames * channels; ++i) head_sum[i] += activated[i];

            state_.layer_inputs[layer_index].advance(frames);
            const bool last_layer = j + 1 == array.layers.size();
            // The very last residual feeds nothing, so it is not computed.
            if (last_layer && last_array) continue;
            float *next = last_layer ? stream_.data() : state_.layer_inputs[layer_index + 1].prepare(frames);
            layer.residual.process(activated, frames, next, residual, nullptr, nullptr);
            residual = next;
        }

        array.head.process(head_sum, frames, head_out_.data());
        head_history.advance(frames);
        array_input = stream_.data();
    }
    const std::size_t head_size = spec_.arrays.back().head_size;
    for (std::size_t t = 0; t < frames; ++t) out[t] = spec_.head_scale * head_out_[t * head_size];
}

}  // namespace pedal::models
