// NAM's WaveNet (nam_wavenet.h) for narrow networks, run with frames, not
// channels, in the vector lanes: every block is channel-planar and every
// convolution a PlanarConv. A2 Lite (3 channels) and A1 nano (4 and 2) fill
// a quarter to half of an AVX vector with their channels; with frames in the
// lanes they fill all of it, and each weight is broadcast once per block of
// frames instead of each input sample once per frame.
//
// It runs the same maths as NamWaveNet, term for term in the same order, so
// the two give the same samples (a self-test holds them to it). It covers the
// plain networks: a 1-channel condition that is the input (no condition_dsp),
// no FiLM; any gating, bottleneck, layer1x1, head1x1, array heads, chained
// arrays and post-stack head. runs() says whether a spec is one.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

#include "layers/planar_conv.h"
#include "layers/planar_history.h"
#include "models/nam_wavenet.h"
#include "models/wavenet_state.h"

namespace pedal::models {

class NamWaveNetPlanar final : public Model {
public:
    // True when `spec` uses only the features this class runs.
    static bool runs(const NamWaveNetSpec &spec);
    // True when this class runs `spec` and is the faster of the two: below 16
    // channels. Measured on x86 (SSE and AVX2 builds, pedal-bench, 64-frame
    // blocks): A2 Lite 264 -> 132 and 178 -> 72 ns/sample, A1 nano 120 -> 103
    // and 88 -> 51, A1 lite (12) 596 -> 516 and 327 -> 224, A2 Full (8)
    // 795 -> 736 and 318 -> 305; A1 standard (16) 975 -> 983 and 343 -> 400.
    static bool suits(const NamWaveNetSpec &spec);

    explicit NamWaveNetPlanar(NamWaveNetSpec spec);
    NamWaveNetPlanar(const NamWaveNetPlanar &) = delete;  // layers point into spec_
    NamWaveNetPlanar &operator=(const NamWaveNetPlanar &) = delete;

    void process(const float *in, float *out, std::size_t frames) noexcept override;
    void reset() noexcept override;
    std::size_t receptive_field() const noexcept override { return receptive_field_; }

private:
    struct Layer {
        layers::PlanarConv conv, layer1x1, head1x1;
        const NamWaveNetLayer *spec = nullptr;
        std::size_t bottleneck = 0;
    };
    struct Array {
        layers::PlanarConv rechannel;
        std::vector<Layer> layers;
        layers::PlanarConv head;
        std::size_t head_input = 0;
    };
    struct HeadBlock {
        layers::PlanarConv conv;
        const layers::Pointwise *activation = nullptr;
    };
    using State = WaveNetState<layers::PlanarHistory>;

    void settle() noexcept;
    // The output's first channel for one chunk (<= kMaxChunk frames); valid until the next call.
    const float *run_chunk(const float *in, std::size_t frames) noexcept;
    void run_layer(const Layer &layer, const float *x, std::size_t x_stride, const float *c, float *head_sum,
                   std::size_t head_stride, float *next, std::size_t next_stride, std::size_t frames) noexcept;

    // Scratch rows are kMaxChunk floats apart.
    static constexpr std::size_t kRow = kMaxChunk;

    NamWaveNetSpec spec_;
    std::vector<Array> arrays_;
    std::vector<HeadBlock> head_;
    bool settling_ = false;
    std::size_t receptive_field_ = 1;
    State state_;
    State prewarmed_;
    std::vector<float> pre_activation_;  // [widest M][kRow]
    std::vector<float> activated_;       // [widest B][kRow]: a gated or blended activation
    std::vector<float> projected_;       // [widest head1x1][kRow]
    std::vector<float> stream_;          // [widest channels][kRow]: an array's residual output
    std::vector<float> head_out_;        // [widest head][kRow]
};

// The faster of NamWaveNetPlanar and NamWaveNet for `spec`.
std::unique_ptr<Model> make_nam_wavenet(NamWaveNetSpec spec);

}  // namespace pedal::models
