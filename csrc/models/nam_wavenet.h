// Neural Amp Modeler's WaveNet, every shape the trainer (neural-amp-modeler
// 0.13) builds: A1 (standard, lite, feather, nano, ...) and the 0.7 layer
// features of A2 (spec: formats/nam-a2.md §3).
//
// Chained layer arrays of dilated causal convs. Layer j of an array, with x
// its C-channel residual input and c the condition (the raw input, or the
// output of a nested `condition` WaveNet):
//   z = FiLM(conv(FiLM(x))) + FiLM(mixin(FiLM(c)))       (M = 2B rows when paired, else B)
//   a = FiLM(gating(FiLM(z)))                            (none: f(z); gated: f(z1) g(z2);
//                                                         blended: g(z2) f(z1) + (1 - g(z2)) z1)
//   x' = x + FiLM(layer1x1(a))   (x + a without a layer1x1)
//   head sum += FiLM(head1x1(a)) (a without a head1x1)
// each FiLM optional: v <- scale(c) * v + shift(c), [scale; shift] a 1x1 conv
// of the condition. Array a > 0 reads array a-1's residual stream and starts
// its head sum from array a-1's head output; the last head, times
// head_scale, is the output, or feeds a post-stack head of (activation ->
// conv) blocks. Grouped convolutions are stored dense (zeros between the
// groups), which is the same maths.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include "layers/conv1d.h"
#include "layers/history.h"
#include "layers/pointwise.h"
#include "models/model.h"
#include "models/wavenet_state.h"

namespace pedal::models {

// Where in a layer a FiLM may modulate, in the order the file stores them.
enum NamFilmPlace : std::size_t {
    kConvPre, kConvPost, kMixinPre, kMixinPost, kActivationPre, kActivationPost, kLayer1x1Post, kHead1x1Post,
    kFilmPlaces
};

struct NamFilm {
    bool active = false;
    bool shift = false;              // [scale; shift] rows, else scale only
    std::size_t width = 0;           // channels it modulates
    std::vector<float> weights;      // [condition][(shift ? 2 : 1) * width]
    std::vector<float> bias;         // [(shift ? 2 : 1) * width]
};

enum class NamGating { None, Gated, Blended };

struct NamWaveNetLayer {
    std::size_t kernel = 1;
    std::size_t dilation = 1;
    layers::Pointwise activation;
    NamGating gating = NamGating::None;
    layers::Pointwise secondary;              // the gate (gated) or the blend (blended)
    std::vector<float> conv_weights;          // [kernel][channels][M]
    std::vector<float> conv_bias;             // [M]
    std::vector<float> mixin_weights;         // [condition][M], no bias
    bool layer1x1 = true;
    std::vector<float> layer1x1_weights;      // [B][channels]
    std::vector<float> layer1x1_bias;         // [channels]
    std::size_t head1x1_out = 0;              // 0: no head1x1
    std::vector<float> head1x1_weights;       // [B][head1x1_out]
    std::vector<float> head1x1_bias;          // [head1x1_out]
    std::array<NamFilm, kFilmPlaces> films;
};

struct NamWaveNetArray {
    std::size_t input_size = 1;  // 1 for the first array, else the previous array's channels
    std::size_t condition_size = 1;
    std::size_t channels = 0;
    std::size_t bottleneck = 0;  // B: the activation's width
    std::size_t head_size = 0;   // the head's output channels
    std::size_t head_kernel = 1;
    std::vector<float> rechannel_weights;  // [input_size][channels], no bias
    std::vector<NamWaveNetLayer> layers;
    std::vector<float> head_weights;       // [head_kernel][head input][head_size]
    std::vector<float> head_bias;          // [head_size] or empty
    // What the head sums: each layer's head1x1 output, or its activation.
    std::size_t head_input() const {
        return layers.empty() || layers.front().head1x1_out == 0 ? bottleneck : layers.front().head1x1_out;
    }
};

// One block of the post-stack head: activation, then a conv (dilation 1, bias).
struct NamHeadBlock {
    layers::Pointwise activation;
    std::size_t in = 0, out = 0, kernel = 1;
    std::vector<float> weights;  // [kernel][in][out]
    std::vector<float> bias;     // [out]
};

struct NamWaveNetSpec {
    std::vector<NamWaveNetArray> arrays;
    float head_scale = 1.0f;
    std::vector<NamHeadBlock> head;             // the post-stack head; empty: none
    std::unique_ptr<NamWaveNetSpec> condition;  // condition_dsp: makes c from the input; null: c is the input
    std::size_t output_channels() const { return head.empty() ? arrays.back().head_size : head.back().out; }
};

class NamWaveNet final : public Model {
public:
    explicit NamWaveNet(NamWaveNetSpec spec);
    NamWaveNet(const NamWaveNet &) = delete;  // layers point into spec_
    NamWaveNet &operator=(const NamWaveNet &) = delete;

    void process(const float *in, float *out, std::size_t frames) noexcept override;
    void reset() noexcept override;
    std::size_t receptive_field() const noexcept override { return receptive_field_; }

    // One chunk (<= kMaxChunk frames) of every output channel, [frames][output
    // channels]; valid until the next call. What a condition network gives its owner.
    const float *run_chunk(const float *in, std::size_t frames) noexcept;

private:
    struct Film {
        bool active = false, shift = false;
        std::size_t width = 0;
        layers::Conv1d conv;  // condition -> [scale; shift]
    };
    struct Layer {
        layers::Conv1d conv, mixin, layer1x1, head1x1;
        std::array<Film, kFilmPlaces> films;
        const NamWaveNetLayer *spec = nullptr;
        std::size_t width = 0, bottleneck = 0;
        bool fold_mixin = false;  // a 1-channel condition added inside the conv's sums
    };
    struct Array {
        layers::Conv1d rechannel;
        std::vector<Layer> layers;
        layers::Conv1d head;
    };
    struct HeadBlock {
        layers::Conv1d conv;
        const layers::Pointwise *activation = nullptr;
    };
    using State = WaveNetState<layers::History>;

    // Brings every history to the network's steady response to silence.
    void settle() noexcept;
    void run_layer(Layer &layer, const float *x, const float *conv_input, const float *c, float *head_sum,
                   float *next, std::size_t frames) noexcept;
    // v <- scale(c) * v + shift(c) over [frames][film.width], v == out allowed.
    void film(const Film &film, const float *v, float *out, const float *c, std::size_t frames) noexcept;
    float *raw_buffer(const float *avoid) noexcept;

    NamWaveNetSpec spec_;
    std::unique_ptr<NamWaveNet> condition_;
    std::vector<Array> arrays_;
    std::vector<HeadBlock> head_;
    std::size_t output_channels_ = 1;
    bool settling_ = false;  // settle(): each history filled with its first frame before it is read
    std::size_t receptive_field_ = 1;
    State state_;
    State prewarmed_;
    // Scratch for one chunk, sized at construction.
    std::vector<float> pre_activation_;  // [chunk][widest M]
    std::vector<float> mixed_;           // [chunk][widest M]: a mixin not folded into the conv
    std::vector<float> activated_;       // [chunk][widest B]: a gated or blended activation
    std::vector<float> modulation_;      // [chunk][2 * widest FiLM]: a FiLM's scale and shift
    std::vector<float> condition_film_;  // [chunk][condition]: the mixin's FiLM'd condition
    std::vector<float> projected_;       // [chunk][widest]: a 1x1's output before its FiLM
    std::vector<float> raw_[2];          // [chunk][widest channels]: x beside a FiLM'd conv input
    std::vector<float> stream_;          // [chunk][widest channels]: an array's residual output
    std::vector<float> head_out_;        // [chunk][widest head]
    std::vector<float> output_;          // [chunk][output channels]
};

}  // namespace pedal::models
