// NAM's WaveNet with frames in the vector lanes (NamWaveNetPlanar) gives the
// same samples as the channel-interleaved NamWaveNet, which the Python tests
// hold to NAM's own forward: every feature the planar class runs, alone and
// together, on random weights.
#include <memory>
#include <random>
#include <vector>

#include "layers/planar_conv.h"
#include "models/nam_wavenet_planar.h"
#include "test_support.h"

using namespace pedal;
using models::NamGating;

namespace {

struct Variant {
    const char *name;
    std::vector<std::size_t> channels;    // one per array
    std::vector<std::size_t> bottleneck;  // one per array
    std::vector<NamGating> gating;        // cycled over the layers
    bool layer1x1 = true;
    std::size_t head1x1_out = 0;          // 0: none
    std::size_t head_kernel = 1;
    bool head_bias = false;
    bool post_head = false;
    bool per_channel_slopes = false;
};

layers::Pointwise activation(layers::Pointwise::Kind kind, std::size_t channels, bool per_channel,
                             std::mt19937 &random) {
    layers::Pointwise p;
    p.kind = kind;
    if (kind == layers::Pointwise::Kind::LeakyReLU && per_channel) {
        p.slopes = test::random_values(channels, random);
    } else {
        p.slopes = {0.05f};
    }
    return p;
}

// The same spec for the same seed (a spec holds a unique_ptr, so it is made twice, not copied).
models::NamWaveNetSpec random_spec(const Variant &v, unsigned seed) {
    using Kind = layers::Pointwise::Kind;
    std::mt19937 random(seed);
    const auto values = [&](std::size_t count, float scale) {
        std::vector<float> out = test::random_values(count, random);
        for (float &x : out) x *= scale;
        return out;
    };
    const Kind kinds[] = {Kind::LeakyReLU, Kind::Tanh, Kind::Softsign, Kind::Hardtanh, Kind::SiLU};
    const std::size_t kernels[] = {2, 6, 3, 15}, dilations[] = {1, 3, 7, 2, 13};
    models::NamWaveNetSpec spec;
    spec.head_scale = 0.5f;
    const std::size_t arrays = v.channels.size();
    for (std::size_t a = 0; a < arrays; ++a) {
        models::NamWaveNetArray &array = spec.arrays.emplace_back();
        const std::size_t c = v.channels[a], b = v.bottleneck[a];
        const std::size_t head_input = v.head1x1_out > 0 ? v.head1x1_out : b;
        array.input_size = a == 0 ? 1 : v.channels[a - 1];
        array.channels = c;
        array.bottleneck = b;
        // A later array's head sum starts from this head's output: the widths must match.
        array.head_size = a + 1 < arrays ? (v.head1x1_out > 0 ? v.head1x1_out : v.bottleneck[a + 1]) : 2;
        array.head_kernel = v.head_kernel;
        array.rechannel_weights = values(array.input_size * c, 1.0f);
        for (std::size_t j = 0; j < 5; ++j) {
            models::NamWaveNetLayer &layer = array.layers.emplace_back();
            layer.kernel = kernels[j % 4];
            layer.dilation = dilations[j];
            layer.gating = v.gating[j % v.gating.size()];
            layer.activation = activation(kinds[j], b, v.per_channel_slopes, random);
            layer.secondary = activation(j % 2 ? Kind::Sigmoid : Kind::Softsigmoid, b, false, random);
            const std::size_t m = layer.gating == NamGating::None ? b : 2 * b;
            layer.conv_weights = values(layer.kernel * c * m, 0.6f);
            layer.conv_bias = values(m, 0.2f);
            layer.mixin_weights = values(m, 0.5f);
            layer.layer1x1 = v.layer1x1;
            if (v.layer1x1) {
                layer.layer1x1_weights = values(b * c, 0.5f);
                layer.layer1x1_bias = values(c, 0.1f);
            }
            layer.head1x1_out = v.head1x1_out;
            if (v.head1x1_out > 0) {
                layer.head1x1_weights = values(b * v.head1x1_out, 0.5f);
                layer.head1x1_bias = values(v.head1x1_out, 0.1f);
            }
        }
        array.head_weights = values(array.head_kernel * head_input * array.head_size, 0.5f);
        if (v.head_bias) array.head_bias = values(array.head_size, 0.1f);
    }
    if (v.post_head) {
        for (std::size_t block = 0; block < 2; ++block) {
            models::NamHeadBlock &head = spec.head.emplace_back();
            head.activation = activation(block == 0 ? Kind::Tanh : Kind::LeakyReLU, 2, false, random);
            head.in = block == 0 ? 2 : 3;
            head.out = block == 0 ? 3 : 1;
            head.kernel = block == 0 ? 3 : 1;
            head.weights = values(head.kernel * head.in * head.out, 0.5f);
            head.bias = values(head.out, 0.1f);
        }
    }
    return spec;
}

const Variant kVariants[] = {
    {"A2 Lite shape", {3}, {3}, {NamGating::None}, true, 0, 16, true},
    {"A2 Full shape", {8}, {8}, {NamGating::None}, true, 0, 16, true},
    {"A1 nano shape, two arrays", {4, 2}, {4, 2}, {NamGating::None}},
    {"gated and blended layers", {3}, {3}, {NamGating::Gated, NamGating::Blended, NamGating::None}},
    {"bottleneck < channels with head1x1", {6}, {2}, {NamGating::None, NamGating::Gated}, true, 3, 2, true},
    {"no layer1x1", {5}, {5}, {NamGating::Blended}, false},
    {"three arrays, per-channel PReLU", {3, 5, 2}, {3, 5, 2}, {NamGating::None}, true, 0, 1, false, false, true},
    {"a post-stack head", {3}, {3}, {NamGating::None}, true, 0, 4, true, true},
    {"gated, with head1x1, over two arrays", {7, 9}, {5, 9}, {NamGating::Gated}, true, 4, 3, true, true},
};

}  // namespace

PEDAL_TEST(planar_nam_wavenet_gives_the_interleaved_samples_for_every_feature_it_runs) {
    const std::vector<float> input = test::random_signal(3000, 7);
    for (const Variant &v : kVariants) {
        models::NamWaveNetSpec spec = random_spec(v, 11);
        CHECK(models::NamWaveNetPlanar::runs(spec));
        models::NamWaveNetPlanar planar(std::move(spec));
        models::NamWaveNet interleaved(random_spec(v, 11));
        CHECK_EQ(planar.receptive_field(), interleaved.receptive_field());
        for (const std::vector<std::size_t> &blocks : {std::vector<std::size_t>{64}, {1, 7, 100, 33, 256}}) {
            planar.reset();
            interleaved.reset();
            const std::vector<float> a = test::run_in_blocks(planar, input, blocks);
            const std::vector<float> b = test::run_in_blocks(interleaved, input, blocks);
            if (test::max_abs_difference(a, b) != 0.0)
                test::fail(__FILE__, __LINE__, std::string(v.name) + ": planar and interleaved differ by " +
                                                   std::to_string(test::max_abs_difference(a, b)));
        }
    }
}

PEDAL_TEST(planar_nam_wavenet_resets_exactly_and_processes_in_place) {
    models::NamWaveNetPlanar model(random_spec(kVariants[0], 3));
    const std::vector<float> input = test::random_signal(500, 5);
    const std::vector<float> first = test::run_in_blocks(model, input, {64});
    model.reset();
    std::vector<float> in_place = input;
    model.process(in_place.data(), in_place.data(), in_place.size());
    CHECK_EQ(test::max_abs_difference(first, in_place), 0.0);
}

PEDAL_TEST(narrow_plain_wavenets_run_planar_and_wide_or_filmed_ones_interleaved) {
    CHECK(models::NamWaveNetPlanar::suits(random_spec(kVariants[0], 1)));  // A2 Lite
    CHECK(models::NamWaveNetPlanar::suits(random_spec(kVariants[1], 1)));  // A2 Full
    const Variant standard{"A1 standard shape", {16, 8}, {16, 8}, {NamGating::None}};
    CHECK(!models::NamWaveNetPlanar::suits(random_spec(standard, 1)));
    models::NamWaveNetSpec filmed = random_spec(kVariants[0], 1);
    filmed.arrays[0].layers[0].films[models::kConvPre].active = true;
    CHECK(!models::NamWaveNetPlanar::runs(filmed));
}

PEDAL_TEST(planar_conv_matches_the_interleaved_conv_for_odd_shapes_and_frame_counts) {
    // Channel-planar in and out, compared with Conv1d's generic kernel on the same data interleaved.
    std::mt19937 random(3);
    for (std::size_t in : {1, 3, 5}) {
        for (std::size_t out : {1, 2, 3, 4, 6, 9}) {
            const std::size_t kernel = 3, dilation = 2, lookback = (kernel - 1) * dilation, frames = 37;
            std::vector<float> weights = test::random_values(kernel * in * out, random);
            std::vector<float> bias = test::random_values(out, random);
            layers::Conv1d reference(in, out, kernel, dilation, weights, bias);
            layers::PlanarConv planar(in, out, kernel, dilation, weights, bias);
            const std::size_t total = lookback + frames;
            const std::vector<float> interleaved_in = test::random_values(total * in, random);
            std::vector<float> planar_in(total * in);
            for (std::size_t t = 0; t < total; ++t)
                for (std::size_t i = 0; i < in; ++i) planar_in[i * total + t] = interleaved_in[t * in + i];
            std::vector<float> expected(frames * out), got(out * frames);
            reference.process_generic(interleaved_in.data() + lookback * in, frames, expected.data());
            planar.process(planar_in.data() + lookback, total, frames, got.data(), frames);
            for (std::size_t t = 0; t < frames; ++t)
                for (std::size_t o = 0; o < out; ++o) CHECK_EQ(got[o * frames + t], expected[t * out + o]);
        }
    }
}
