#include "models/nam_wavenet.h"

#include <algorithm>

namespace pedal::models {

namespace {

layers::Conv1d one_by_one(std::size_t in, std::size_t out, std::vector<float> weights, std::vector<float> bias) {
    return layers::Conv1d(in, out, 1, 1, std::move(weights), std::move(bias));
}

}  // namespace

NamWaveNet::NamWaveNet(NamWaveNetSpec spec) : spec_(std::move(spec)) {
    if (spec_.condition) {
        condition_ = std::make_unique<NamWaveNet>(std::move(*spec_.condition));
        receptive_field_ += condition_->receptive_field() - 1;
    }
    output_channels_ = spec_.output_channels();
    std::size_t widest = 1, widest_width = 1, widest_head = 1, widest_film = 1, condition_width = 1;
    arrays_.resize(spec_.arrays.size());
    for (std::size_t a = 0; a < arrays_.size(); ++a) {
        NamWaveNetArray &source = spec_.arrays[a];
        Array &array = arrays_[a];
        const std::size_t channels = source.channels, bottleneck = source.bottleneck, head_input = source.head_input();
        widest = std::max({widest, channels, head_input});
        widest_head = std::max({widest_head, source.head_size, head_input});
        condition_width = std::max(condition_width, source.condition_size);
        array.rechannel = one_by_one(source.input_size, channels, std::move(source.rechannel_weights), {});
        array.layers.resize(source.layers.size());
        for (std::size_t j = 0; j < source.layers.size(); ++j) {
            NamWaveNetLayer &layer_spec = source.layers[j];
            Layer &layer = array.layers[j];
            layer.spec = &layer_spec;
            layer.bottleneck = bottleneck;
            layer.width = layer_spec.gating == NamGating::None ? bottleneck : 2 * bottleneck;
            widest_width = std::max(widest_width, layer.width);
            layer.conv = layers::Conv1d(channels, layer.width, layer_spec.kernel, layer_spec.dilation,
                                        std::move(layer_spec.conv_weights), std::move(layer_spec.conv_bias));
            // A 1-channel condition is one more input channel of the conv (no
            // pass of its own), unless a FiLM stands between the two.
            const auto &films = layer_spec.films;
            layer.fold_mixin = source.condition_size == 1 && !films[kMixinPre].active && !films[kMixinPost].active &&
                               !films[kConvPost].active;
            if (!layer.fold_mixin)
                layer.mixin = one_by_one(source.condition_size, layer.width, layer_spec.mixin_weights, {});
            if (layer_spec.layer1x1)
                layer.layer1x1 = one_by_one(bottleneck, channels, std::move(layer_spec.layer1x1_weights),
                                            std::move(layer_spec.layer1x1_bias));
            if (layer_spec.head1x1_out > 0)
                layer.head1x1 = one_by_one(bottleneck, layer_spec.head1x1_out, std::move(layer_spec.head1x1_weights),
                                           std::move(layer_spec.head1x1_bias));
            for (std::size_t place = 0; place < kFilmPlaces; ++place) {
                NamFilm &source_film = layer_spec.films[place];
                if (!source_film.active) continue;
                Film &film = layer.films[place];
                film.active = true;
                film.shift = source_film.shift;
                film.width = source_film.width;
                film.conv = one_by_one(source.condition_size, (film.shift ? 2 : 1) * film.width,
                                       std::move(source_film.weights), std::move(source_film.bias));
                widest_film = std::max(widest_film, film.width);
            }
            state_.layer_inputs.emplace_back();
            state_.layer_inputs.back().configure(channels, layer.conv.lookback(), kMaxChunk);
            receptive_field_ += layer.conv.lookback();
        }
        array.head = layers::Conv1d(head_input, source.head_size, source.head_kernel, 1, std::move(source.head_weights),
                                    std::move(source.head_bias));
        state_.head_sums.emplace_back();
        state_.head_sums.back().configure(head_input, array.head.lookback(), kMaxChunk);
        receptive_field_ += array.head.lookback();
    }
    for (NamHeadBlock &block : spec_.head) {
        HeadBlock &runtime = head_.emplace_back();
        runtime.conv = layers::Conv1d(block.in, block.out, block.kernel, 1, std::move(block.weights),
                                      std::move(block.bias));
        runtime.activation = &block.activation;
        state_.head_inputs.emplace_back();
        state_.head_inputs.back().configure(block.in, runtime.conv.lookback(), kMaxChunk);
        receptive_field_ += runtime.conv.lookback();
        widest_head = std::max({widest_head, block.in, block.out});
    }
    pre_activation_.assign(kMaxChunk * widest_width, 0.0f);
    mixed_.assign(kMaxChunk * widest_width, 0.0f);
    activated_.assign(kMaxChunk * widest_width, 0.0f);
    modulation_.assign(kMaxChunk * 2 * widest_film, 0.0f);
    condition_film_.assign(kMaxChunk * condition_width, 0.0f);
    projected_.assign(kMaxChunk * widest, 0.0f);
    for (std::vector<float> &raw : raw_) raw.assign(kMaxChunk * widest, 0.0f);
    stream_.assign(kMaxChunk * widest, 0.0f);
    head_out_.assign(kMaxChunk * widest_head, 0.0f);
    output_.assign(kMaxChunk * output_channels_, 0.0f);

    // NAM's reference pads the input with RF-1 zeros, so at start-up every
    // history holds the network's response to silence, not zeros. With no
    // recurrence that response is constant in time, so one frame of silence,
    // each history filled with its first value before it is read, gives the
    // state RF-1 frames would (the same sums, bit for bit). Keeping it makes
    // reset() a copy.
    settle();
    prewarmed_ = state_;
}

void NamWaveNet::settle() noexcept {
    settling_ = true;
    const float silence = 0.0f;
    run_chunk(&silence, 1);
    settling_ = false;
}

void NamWaveNet::reset() noexcept {
    state_.restore(prewarmed_);
    if (condition_) condition_->reset();
}

void NamWaveNet::process(const float *in, float *out, std::size_t frames) noexcept {
    for_each_chunk(in, out, frames, [this](const float *i, float *o, std::size_t n) {
        const float *y = run_chunk(i, n);
        // `in` has been read in full by now, which is what makes in == out safe.
        for (std::size_t t = 0; t < n; ++t) o[t] = y[t * output_channels_];
    });
}

void NamWaveNet::film(const Film &film, const float *v, float *out, const float *c, std::size_t frames) noexcept {
    float *m = modulation_.data();
    film.conv.process(c, frames, m);
    const std::size_t width = film.width, rows = film.shift ? 2 * width : width;
    for (std::size_t t = 0; t < frames; ++t) {
        const float *scale = m + t * rows;
        for (std::size_t i = 0; i < width; ++i)
            out[t * width + i] = scale[i] * v[t * width + i] + (film.shift ? scale[width + i] : 0.0f);
    }
}

float *NamWaveNet::raw_buffer(const float *avoid) noexcept {
    return raw_[0].data() == avoid ? raw_[1].data() : raw_[0].data();
}

// One layer over one chunk: `x` is its residual input, `conv_input` the same
// frames in the layer's history (FiLM(x) when a FiLM stands before the conv;
// the look-back behind them), `c` the condition. Adds to `head_sum` and writes
// x' to `next` (null: nothing reads it).
void NamWaveNet::run_layer(Layer &layer, const float *x, const float *conv_input, const float *c, float *head_sum,
                           float *next, std::size_t frames) noexcept {
    const NamWaveNetLayer &spec = *layer.spec;
    const auto &films = layer.films;
    const std::size_t width = layer.width, bottleneck = layer.bottleneck;

    // z = FiLM(conv(x)) + FiLM(mixin(FiLM(c))), then FiLM(z).
    float *z = pre_activation_.data();
    if (layer.fold_mixin) {
        layer.conv.process(conv_input, frames, z, nullptr, c, spec.mixin_weights.data());
    } else {
        const float *condition = c;
        if (films[kMixinPre].active) {
            film(films[kMixinPre], c, condition_film_.data(), c, frames);
            condition = condition_film_.data();
        }
        float *mix = mixed_.data();
        layer.mixin.process(condition, frames, mix);
        if (films[kMixinPost].active) film(films[kMixinPost], mix, mix, c, frames);
        if (films[kConvPost].active) {
            layer.conv.process(conv_input, frames, z);
            film(films[kConvPost], z, z, c, frames);
            for (std::size_t i = 0; i < frames * width; ++i) z[i] += mix[i];
        } else {
            layer.conv.process(conv_input, frames, z, mix, nullptr, nullptr);
        }
    }
    if (films[kActivationPre].active) film(films[kActivationPre], z, z, c, frames);

    // a: B channels, in place for an ungated layer.
    float *a = z;
    switch (spec.gating) {
        case NamGating::None:
            spec.activation.apply(z, frames, bottleneck, width);
            break;
        case NamGating::Gated:
            spec.activation.apply(z, frames, bottleneck, width);
            spec.secondary.apply(z + bottleneck, frames, bottleneck, width);
            a = activated_.data();
            for (std::size_t t = 0; t < frames; ++t)
                for (std::size_t i = 0; i < bottleneck; ++i)
                    a[t * bottleneck + i] = z[t * width + i] * z[t * width + bottleneck + i];
            break;
        case NamGating::Blended:  // alpha f(z1) + (1 - alpha) z1, alpha = g(z2)
            spec.secondary.apply(z + bottleneck, frames, bottleneck, width);
            a = activated_.data();
            for (std::size_t t = 0; t < frames; ++t)
                std::copy(z + t * width, z + t * width + bottleneck, a + t * bottleneck);
            spec.activation.apply(a, frames, bottleneck, bottleneck);
            for (std::size_t t = 0; t < frames; ++t)
                for (std::size_t i = 0; i < bottleneck; ++i) {
                    const float alpha = z[t * width + bottleneck + i];
                    a[t * bottleneck + i] = alpha * a[t * bottleneck + i] + (1.0f - alpha) * z[t * width + i];
                }
            break;
    }
    if (films[kActivationPost].active) film(films[kActivationPost], a, a, c, frames);

    if (spec.head1x1_out > 0) {
        float *h = projected_.data();
        layer.head1x1.process(a, frames, h);
        if (films[kHead1x1Post].active) film(films[kHead1x1Post], h, h, c, frames);
        for (std::size_t i = 0; i < frames * spec.head1x1_out; ++i) head_sum[i] += h[i];
    } else {
        for (std::size_t i = 0; i < frames * bottleneck; ++i) head_sum[i] += a[i];
    }

    if (next == nullptr) return;
    const std::size_t channels = layer.conv.in_channels();
    if (!spec.layer1x1) {  // the loader made sure B == C
        for (std::size_t i = 0; i < frames * channels; ++i) next[i] = x[i] + a[i];
    } else if (films[kLayer1x1Post].active) {
        float *r = projected_.data();
        layer.layer1x1.process(a, frames, r);
        film(films[kLayer1x1Post], r, r, c, frames);
        for (std::size_t i = 0; i < frames * channels; ++i) next[i] = x[i] + r[i];
    } else {
        layer.layer1x1.process(a, frames, next, x, nullptr, nullptr);
    }
}

const float *NamWaveNet::run_chunk(const float *in, std::size_t frames) noexcept {
    // A condition network settled in its own constructor: its output is already steady.
    const float *c = condition_ ? condition_->run_chunk(in, frames) : in;
    const float *array_input = in;
    std::size_t layer_index = 0;
    for (std::size_t a = 0; a < arrays_.size(); ++a) {
        Array &array = arrays_[a];
        const std::size_t head_input = spec_.arrays[a].head_input();
        const bool last_array = a + 1 == arrays_.size();

        // Array 0's head sum starts at zero, a later array's at the previous head's output.
        layers::History &head_history = state_.head_sums[a];
        float *head_sum = head_history.prepare(frames);
        if (a == 0) {
            std::fill(head_sum, head_sum + frames * head_input, 0.0f);
        } else {
            std::copy(head_out_.begin(), head_out_.begin() + static_cast<std::ptrdiff_t>(frames * head_input), head_sum);
        }

        // x, the residual stream, is written straight into the next layer's
        // history, or beside it when that layer FiLMs its conv input.
        auto x_for = [&](std::size_t j, std::size_t index, const float *previous) -> float * {
            return array.layers[j].films[kConvPre].active ? raw_buffer(previous)
                                                          : state_.layer_inputs[index].prepare(frames);
        };
        float *x = x_for(0, layer_index, nullptr);
        array.rechannel.process(array_input, frames, x);

        for (std::size_t j = 0; j < array.layers.size(); ++j, ++layer_index) {
            Layer &layer = array.layers[j];
            layers::History &history = state_.layer_inputs[layer_index];
            float *conv_input = history.prepare(frames);
            if (layer.films[kConvPre].active) film(layer.films[kConvPre], x, conv_input, c, frames);
            if (settling_) history.fill_lookback_with_current();
            float *next = nullptr;
            if (j + 1 < array.layers.size()) {
                next = x_for(j + 1, layer_index + 1, x);
            } else if (!last_array) {
                next = stream_.data();
            }  // the very last residual feeds nothing, so it is not computed
            run_layer(layer, x, conv_input, c, head_sum, next, frames);
            history.advance(frames);
            x = next;
        }

        if (settling_) head_history.fill_lookback_with_current();
        array.head.process(head_sum, frames, head_out_.data());
        head_history.advance(frames);
        array_input = stream_.data();
    }

    const std::size_t head_size = spec_.arrays.back().head_size;
    const float scale = spec_.head_scale;
    if (head_.empty()) {
        for (std::size_t i = 0; i < frames * head_size; ++i) output_[i] = scale * head_out_[i];
        return output_.data();
    }
    // The post-stack head: each block activates its input into its history, then convolves.
    const float *block_input = head_out_.data();
    float block_scale = scale;
    for (std::size_t b = 0; b < head_.size(); ++b) {
        HeadBlock &block = head_[b];
        layers::History &history = state_.head_inputs[b];
        const std::size_t width = block.conv.in_channels();
        float *activated = history.prepare(frames);
        for (std::size_t i = 0; i < frames * width; ++i) activated[i] = block_scale * block_input[i];
        block.activation->apply(activated, frames, width, width);
        if (settling_) history.fill_lookback_with_current();
        // The input is in the history now, so the output may overwrite it.
        float *out = b + 1 == head_.size() ? output_.data() : head_out_.data();
        block.conv.process(activated, frames, out);
        history.advance(frames);
        block_input = out;
        block_scale = 1.0f;
    }
    return output_.data();
}

}  // namespace pedal::models
