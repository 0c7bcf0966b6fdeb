#include "models/nam_wavenet_planar.h"

#include <algorithm>

namespace pedal::models {

namespace {

layers::PlanarConv one_by_one(std::size_t in, std::size_t out, std::vector<float> weights, std::vector<float> bias) {
    return layers::PlanarConv(in, out, 1, 1, std::move(weights), std::move(bias));
}

}  // namespace

bool NamWaveNetPlanar::runs(const NamWaveNetSpec &spec) {
    if (spec.condition) return false;
    for (const NamWaveNetArray &array : spec.arrays) {
        if (array.condition_size != 1) return false;
        for (const NamWaveNetLayer &layer : array.layers)
            for (const NamFilm &film : layer.films)
                if (film.active) return false;
    }
    return true;
}

bool NamWaveNetPlanar::suits(const NamWaveNetSpec &spec) {
    constexpr std::size_t kNarrow = 16;
    if (!runs(spec)) return false;
    for (const NamWaveNetArray &array : spec.arrays)
        if (array.channels >= kNarrow || array.bottleneck >= kNarrow) return false;
    return true;
}

std::unique_ptr<Model> make_nam_wavenet(NamWaveNetSpec spec) {
    if (NamWaveNetPlanar::suits(spec)) return std::make_unique<NamWaveNetPlanar>(std::move(spec));
    return std::make_unique<NamWaveNet>(std::move(spec));
}

NamWaveNetPlanar::NamWaveNetPlanar(NamWaveNetSpec spec) : spec_(std::move(spec)) {
    std::size_t widest_channels = 1, widest_width = 1, widest_bottleneck = 1, widest_head = 1;
    arrays_.resize(spec_.arrays.size());
    for (std::size_t a = 0; a < arrays_.size(); ++a) {
        NamWaveNetArray &source = spec_.arrays[a];
        Array &array = arrays_[a];
        const std::size_t channels = source.channels, bottleneck = source.bottleneck;
        array.head_input = source.head_input();
        widest_channels = std::max(widest_channels, channels);
        widest_bottleneck = std::max(widest_bottleneck, bottleneck);
        widest_head = std::max({widest_head, source.head_size, array.head_input});
        array.rechannel = one_by_one(source.input_size, channels, std::move(source.rechannel_weights), {});
        array.layers.resize(source.layers.size());
        for (std::size_t j = 0; j < source.layers.size(); ++j) {
            NamWaveNetLayer &layer_spec = source.layers[j];
            Layer &layer = array.layers[j];
            layer.spec = &layer_spec;
            layer.bottleneck = bottleneck;
            const std::size_t width = layer_spec.gating == NamGating::None ? bottleneck : 2 * bottleneck;
            widest_width = std::max(widest_width, width);
            layer.conv = layers::PlanarConv(channels, width, layer_spec.kernel, layer_spec.dilation,
                                            std::move(layer_spec.conv_weights), std::move(layer_spec.conv_bias));
            if (layer_spec.layer1x1)
                layer.layer1x1 = one_by_one(bottleneck, channels, std::move(layer_spec.layer1x1_weights),
                                            std::move(layer_spec.layer1x1_bias));
            if (layer_spec.head1x1_out > 0) {
                layer.head1x1 = one_by_one(bottleneck, layer_spec.head1x1_out, std::move(layer_spec.head1x1_weights),
                                           std::move(layer_spec.head1x1_bias));
                widest_head = std::max(widest_head, layer_spec.head1x1_out);
            }
            state_.layer_inputs.emplace_back();
            state_.layer_inputs.back().configure(channels, layer.conv.lookback(), kMaxChunk);
            receptive_field_ += layer.conv.lookback();
        }
        array.head = layers::PlanarConv(array.head_input, source.head_size, source.head_kernel, 1,
                                        std::move(source.head_weights), std::move(source.head_bias));
        state_.head_sums.emplace_back();
        state_.head_sums.back().configure(array.head_input, array.head.lookback(), kMaxChunk);
        receptive_field_ += array.head.lookback();
    }
    for (NamHeadBlock &block : spec_.head) {
        HeadBlock &runtime = head_.emplace_back();
        runtime.conv = layers::PlanarConv(block.in, block.out, block.kernel, 1, std::move(block.weights),
                                          std::move(block.bias));
        runtime.activation = &block.activation;
        state_.head_inputs.emplace_back();
        state_.head_inputs.back().configure(block.in, runtime.conv.lookback(), kMaxChunk);
        receptive_field_ += runtime.conv.lookback();
        widest_head = std::max({widest_head, block.in, block.out});
    }
    pre_activation_.assign(widest_width * kRow, 0.0f);
    activated_.assign(widest_bottleneck * kRow, 0.0f);
    projected_.assign(widest_head * kRow, 0.0f);
    stream_.assign(widest_channels * kRow, 0.0f);
    head_out_.assign(widest_head * kRow, 0.0f);

    // As NamWaveNet: one frame of silence with each history filled from its
    // first frame is the network's settled response to silence.
    settle();
    prewarmed_ = state_;
}

void NamWaveNetPlanar::settle() noexcept {
    settling_ = true;
    const float silence = 0.0f;
    run_chunk(&silence, 1);
    settling_ = false;
}

void NamWaveNetPlanar::reset() noexcept {
    state_.restore(prewarmed_);
}

void NamWaveNetPlanar::process(const float *in, float *out, std::size_t frames) noexcept {
    for_each_chunk(in, out, frames, [this](const float *i, float *o, std::size_t n) {
        const float *y = run_chunk(i, n);
        // `in` has been read in full by now, which is what makes in == out safe.
        std::copy(y, y + n, o);
    });
}

// One layer over one chunk, NamWaveNet::run_layer's terms in its order: `x`
// is the residual input in the layer's history, `c` the condition. Adds to
// `head_sum` and writes x' to `next` (null: nothing reads it).
void NamWaveNetPlanar::run_layer(const Layer &layer, const float *x, std::size_t x_stride, const float *c,
                                 float *head_sum, std::size_t head_stride, float *next, std::size_t next_stride,
                                 std::size_t frames) noexcept {
    const NamWaveNetLayer &spec = *layer.spec;
    const std::size_t bottleneck = layer.bottleneck;

    float *z = pre_activation_.data();  // conv(x) + mixin * c, the 1-channel mixin folded into the conv
    layer.conv.process(x, x_stride, frames, z, kRow, nullptr, 0, c, spec.mixin_weights.data());

    float *a = z;
    float *gate = z + bottleneck * kRow;
    switch (spec.gating) {
        case NamGating::None:
            spec.activation.apply_rows(z, frames, bottleneck, kRow);
            break;
        case NamGating::Gated:
            spec.activation.apply_rows(z, frames, bottleneck, kRow);
            spec.secondary.apply_rows(gate, frames, bottleneck, kRow);
            a = activated_.data();
            for (std::size_t i = 0; i < bottleneck; ++i)
                for (std::size_t t = 0; t < frames; ++t) a[i * kRow + t] = z[i * kRow + t] * gate[i * kRow + t];
            break;
        case NamGating::Blended:  // alpha f(z1) + (1 - alpha) z1, alpha = g(z2)
            spec.secondary.apply_rows(gate, frames, bottleneck, kRow);
            a = activated_.data();
            for (std::size_t i = 0; i < bottleneck; ++i) std::copy(z + i * kRow, z + i * kRow + frames, a + i * kRow);
            spec.activation.apply_rows(a, frames, bottleneck, kRow);
            for (std::size_t i = 0; i < bottleneck; ++i)
                for (std::size_t t = 0; t < frames; ++t) {
                    const float alpha = gate[i * kRow + t];
                    a[i * kRow + t] = alpha * a[i * kRow + t] + (1.0f - alpha) * z[i * kRow + t];
                }
            break;
    }

    const float *summed = a;
    std::size_t summed_rows = bottleneck;
    if (spec.head1x1_out > 0) {
        layer.head1x1.process(a, kRow, frames, projected_.data(), kRow);
        summed = projected_.data();
        summed_rows = spec.head1x1_out;
    }
    for (std::size_t i = 0; i < summed_rows; ++i)
        for (std::size_t t = 0; t < frames; ++t) head_sum[i * head_stride + t] += summed[i * kRow + t];

    if (next == nullptr) return;
    if (spec.layer1x1) {
        layer.layer1x1.process(a, kRow, frames, next, next_stride, x, x_stride);
    } else {  // the loader made sure B == C
        for (std::size_t i = 0; i < bottleneck; ++i)
            for (std::size_t t = 0; t < frames; ++t) next[i * next_stride + t] = x[i * x_stride + t] + a[i * kRow + t];
    }
}

const float *NamWaveNetPlanar::run_chunk(const float *in, std::size_t frames) noexcept {
    const float *c = in;
    const float *array_input = in;
    std::size_t layer_index = 0;
    for (std::size_t a = 0; a < arrays_.size(); ++a) {
        Array &array = arrays_[a];
        const bool last_array = a + 1 == arrays_.size();

        // Array 0's head sum starts at zero, a later array's at the previous head's output.
        layers::PlanarHistory &head_history = state_.head_sums[a];
        float *head_sum = head_history.prepare(frames);
        const std::size_t head_stride = head_history.stride();
        for (std::size_t i = 0; i < array.head_input; ++i) {
            float *row = head_sum + i * head_stride;
            if (a == 0) {
                std::fill(row, row + frames, 0.0f);
            } else {
                std::copy(head_out_.data() + i * kRow, head_out_.data() + i * kRow + frames, row);
            }
        }

        // x, the residual stream, is written straight into the next layer's history.
        float *x = state_.layer_inputs[layer_index].prepare(frames);
        std::size_t x_stride = state_.layer_inputs[layer_index].stride();
        array.rechannel.process(array_input, kRow, frames, x, x_stride);

        for (std::size_t j = 0; j < array.layers.size(); ++j, ++layer_index) {
            layers::PlanarHistory &history = state_.layer_inputs[layer_index];
            if (settling_) history.fill_lookback_with_current();
            float *next = nullptr;
            std::size_t next_stride = kRow;
            if (j + 1 < array.layers.size()) {
                next = state_.layer_inputs[layer_index + 1].prepare(frames);
                next_stride = state_.layer_inputs[layer_index + 1].stride();
            } else if (!last_array) {
                next = stream_.data();
            }  // the very last residual feeds nothing, so it is not computed
            run_layer(array.layers[j], x, x_stride, c, head_sum, head_stride, next, next_stride, frames);
            history.advance(frames);
            x = next;
            x_stride = next_stride;
        }

        if (settling_) head_history.fill_lookback_with_current();
        array.head.process(head_sum, head_stride, frames, head_out_.data(), kRow);
        head_history.advance(frames);
        array_input = stream_.data();
    }

    // Only the first output channel is played; the scale is applied as NamWaveNet does.
    float *y = head_out_.data();
    const float scale = spec_.head_scale;
    if (head_.empty()) {
        for (std::size_t t = 0; t < frames; ++t) y[t] = scale * y[t];
        return y;
    }
    // The post-stack head: each block activates its input into its history, then convolves.
    float block_scale = scale;
    for (std::size_t b = 0; b < head_.size(); ++b) {
        HeadBlock &block = head_[b];
        layers::PlanarHistory &history = state_.head_inputs[b];
        const std::size_t width = block.conv.in_channels(), stride = history.stride();
        float *activated = history.prepare(frames);
        for (std::size_t i = 0; i < width; ++i)
            for (std::size_t t = 0; t < frames; ++t) activated[i * stride + t] = block_scale * y[i * kRow + t];
        block.activation->apply_rows(activated, frames, width, stride);
        if (settling_) history.fill_lookback_with_current();
        // The input is in the history now, so the output may overwrite head_out_.
        block.conv.process(activated, stride, frames, y, kRow);
        history.advance(frames);
        block_scale = 1.0f;
    }
    return y;
}

}  // namespace pedal::models
