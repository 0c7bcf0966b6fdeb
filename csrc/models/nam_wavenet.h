// Neural Amp Modeler's WaveNet (the "A1" family: standard, lite, feather, nano
// and any other shape of it): chained layer arrays of dilated causal convs,
// each layer adding the raw input through a 1x1 "mixin" before its activation,
// a 1x1 residual conv, and a head path that sums every layer's activated output.
//
// Array a>0 reads array a-1's residual stream and starts its head sum from
// array a-1's head output (so its bottleneck equals that head's width).
#pragma once

#include <cstddef>
#include <vector>

#include "layers/conv1d.h"
#include "layers/history.h"
#include "layers/pointwise.h"
#include "models/model.h"

namespace pedal::models {

struct NamWaveNetLayer {
    std::size_t kernel = 1;
    std::size_t dilation = 1;
    layers::Pointwise activation;
    bool gated = false;              // conv gives 2*channels rows: activation(top) * gate(bottom)
    layers::Pointwise gate;          // the gate's activation (Sigmoid in A1)
    std::vector<float> conv_weights;      // [kernel][channels][G*channels]
    std::vector<float> conv_bias;         // [G*channels]
    std::vector<float> mixin_weights;     // [G*channels]: the 1-channel input -> conv rows
    std::vector<float> residual_weights;  // [channels][channels]
    std::vector<float> residual_bias;     // [channels]
};

struct NamWaveNetArray {
    std::size_t input_size = 1;  // 1 for the first array, else the previous array's channels
    std::size_t channels = 0;
    std::size_t head_size = 0;
    std::size_t head_kernel = 1;
    std::vector<float> rechannel_weights;  // [input_size][channels], no bias
    std::vector<NamWaveNetLayer> layers;
    std::vector<float> head_weights;       // [head_kernel][channels][head_size]
    std::vector<float> head_bias;          // [head_size] or empty
};

struct NamWaveNetSpec {
    std::vector<NamWaveNetArray> arrays;
    float head_scale = 1.0f;
};

class NamWaveNet final : public Model {
public:
    explicit NamWaveNet(NamWaveNetSpec spec);
    NamWaveNet(const NamWaveNet &) = delete;  // layers point into spec_
    NamWaveNet &operator=(const NamWaveNet &) = delete;

    void process(const float *in, float *out, std::size_t frames) noexcept override;
    void reset() noexcept override;
    std::size_t receptive_field() const noexcept override { return receptive_field_; }

private:
    struct Layer {
        layers::Conv1d conv;
        layers::Conv1d residual;
        const NamWaveNetLayer *spec = nullptr;
    };
    struct Array {
        layers::Conv1d rechannel;
        std::vector<Layer> layers;
        layers::Conv1d head;
    };
    // Everything that carries over from one chunk to the next: the look-back of
    // each layer's input and of each head's sum. Copyable without allocating
    // (same sizes), which is how reset() restores the prewarmed state.
    struct State {
        std::vector<layers::History> layer_inputs;  // one per layer, all arrays in order
        std::vector<layers::History> head_sums;     // one per array
    };

    void process_chunk(const float *in, float *out, std::size_t frames) noexcept;

    NamWaveNetSpec spec_;
    std::vector<Array> arrays_;
    std::size_t receptive_field_ = 1;
    State state_;
    State prewarmed_;
    // Scratch for one chunk, sized at construction.
    std::vector<float> pre_activation_;  // [chunk][2 * widest channels]
    std::vector<float> activated_;       // [chunk][widest channels]: a gate's product
    std::vector<float> stream_;          // [chunk][widest channels]: an array's residual output
    std::vector<float> head_out_;        // [chunk][widest head]
};

}  // namespace pedal::models
