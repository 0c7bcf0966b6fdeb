// The gated WaveNet of WaveNetVA (Damskägg et al. 2019) as trained by
// PedalNetRT: an input 1x1 conv, a stack of dilated causal convs with gated
// activations and 1x1 residual convs, and a 1x1 mix over every layer's gated
// output (the "skips").
#pragma once

#include <cstddef>
#include <vector>

#include "layers/activations.h"
#include "layers/aligned.h"
#include "layers/conv1d.h"
#include "layers/history.h"
#include "models/model.h"

namespace pedal::models {

struct GatedWaveNetLayer {
    std::size_t dilation = 1;
    std::vector<float> conv_weights;      // [kernel][channels][G*channels]
    std::vector<float> conv_bias;         // [G*channels]
    std::vector<float> residual_weights;  // [channels][channels]
    std::vector<float> residual_bias;     // [channels]
};

struct GatedWaveNetSpec {
    // Gated kinds double the conv width; the plain ones apply to C channels.
    enum class Activation { Gated, Softgated, Tanh, Sigmoid, ReLU, Softsign, Linear };

    std::size_t channels = 0;
    std::size_t kernel = 0;
    Activation activation = Activation::Gated;
    std::vector<float> input_weights;  // [channels]: 1 input channel -> C
    std::vector<float> input_bias;     // [channels]
    std::vector<GatedWaveNetLayer> layers;
    std::vector<float> mix_weights;    // [layers * channels], layer-major
    float mix_bias = 0.0f;

    bool gated() const { return activation == Activation::Gated || activation == Activation::Softgated; }
    std::size_t conv_width() const { return gated() ? 2 * channels : channels; }
};

class GatedWaveNet final : public Model {
public:
    explicit GatedWaveNet(GatedWaveNetSpec spec);

    void process(const float *in, float *out, std::size_t frames) noexcept override;
    void reset() noexcept override;
    std::size_t receptive_field() const noexcept override { return receptive_field_; }

    using SkipKernel = void (*)(const float *weights, const float *activated, std::size_t frames,
                                std::size_t channels, float *skips);

private:
    void process_chunk(const float *in, float *out, std::size_t frames) noexcept;
    void apply_activation(std::size_t frames) noexcept;

    struct Layer {
        // A gated layer's conv is kept as two C -> C convs, the filter half
        // and the gate half, so the gate is one flat loop over their outputs.
        layers::Conv1d conv;       // the filter half (the whole conv when not gated)
        layers::Conv1d gate_conv;  // the gate half (unused when not gated)
        layers::Conv1d residual;
        layers::History input;  // this layer's input, with the conv's look-back
        const float *mix_weights = nullptr;
    };

    GatedWaveNetSpec spec_;
    SkipKernel add_skips_;  // the mix's per-channel sums, sized for spec_.channels when it is common
    layers::Conv1d input_conv_;  // 1 -> C
    layers::Conv1d mix_sum_;     // C -> 1: the skips' sum over the channels, plus the mix bias
    std::vector<Layer> layers_;
    std::size_t receptive_field_ = 1;
    // Scratch for one chunk, sized at construction.
    layers::AlignedFloats pre_activation_;  // [chunk][channels]: conv's output
    layers::AlignedFloats gate_input_;      // [chunk][channels]: gate_conv's output
    layers::AlignedFloats activated_;       // [chunk][channels]
    layers::AlignedFloats skips_;           // [chunk][channels]: the mix's terms summed over the layers
};

}  // namespace pedal::models
