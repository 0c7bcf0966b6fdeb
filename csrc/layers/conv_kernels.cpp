#include "layers/conv_kernels.h"

#include "layers/dot.h"

namespace pedal::layers {

namespace {

// A dense layer to one output (kernel 1, nothing folded in): the head of a
// recurrent network. One output per frame leaves the fixed kernel nothing to
// put in vector lanes but frames, each a chain of In scalar multiply-adds
// with every operand loaded on its own; dot() sums across lanes instead (in
// its own order, within float rounding of conv_generic). Other calls of the
// shape take the fixed kernel.
template <std::size_t In>
void conv_to_one(const ConvCall &call) {
    if (call.kernel != 1 || call.addend != nullptr || call.mix_signal != nullptr) return conv_fixed<In, 1>(call);
    dot_frames(call.in, call.frames, In, call.weights, call.bias[0], call.out);
}

struct Entry {
    std::size_t in, out;
    ConvKernel kernel;
};

// Shapes found in published captures, the same list on every target:
// NAM A1 presets (channels C -> C convs and 1x1s, 1 -> C input rechannel,
// C -> C/2 head, C/2 -> 1 last head) for standard 16, lite 12, feather 8 and
// nano 4; NAM A2 Full 8 and Lite 3 (C -> C, 1 -> C, C -> 1 head). Plain NAM
// networks below 16 channels run planar (planar_conv.h) instead; these serve
// the ones with FiLM or a condition_dsp. NAM gated layers (C -> 2C); WaveNetVA/PedalNetRT convs, whose gated
// layers run as two C -> C halves, and residuals (C -> C); RTNeural conv
// stacks and dense heads. Other shapes use conv_generic.
#define PEDAL_CONV_SHAPE(in, out) {in, out, &conv_fixed<in, out>}
#define PEDAL_DENSE_HEAD(in) {in, 1, &conv_to_one<in>}
const Entry kFixedShapes[] = {
    // NAM standard, lite, feather, nano
    PEDAL_CONV_SHAPE(1, 16), PEDAL_CONV_SHAPE(16, 16), PEDAL_CONV_SHAPE(16, 8), PEDAL_CONV_SHAPE(8, 8),
    PEDAL_CONV_SHAPE(8, 1), PEDAL_CONV_SHAPE(1, 12), PEDAL_CONV_SHAPE(12, 12), PEDAL_CONV_SHAPE(12, 6),
    PEDAL_CONV_SHAPE(6, 6), PEDAL_CONV_SHAPE(6, 1), PEDAL_CONV_SHAPE(1, 8), PEDAL_CONV_SHAPE(8, 4),
    PEDAL_CONV_SHAPE(4, 4), PEDAL_CONV_SHAPE(4, 1), PEDAL_CONV_SHAPE(1, 4), PEDAL_CONV_SHAPE(4, 2),
    PEDAL_CONV_SHAPE(2, 2), PEDAL_CONV_SHAPE(2, 1),
    // NAM gated layers (C -> 2C); WaveNetVA / PedalNetRT (C -> C)
    PEDAL_CONV_SHAPE(16, 32), PEDAL_CONV_SHAPE(12, 24), PEDAL_CONV_SHAPE(8, 16), PEDAL_CONV_SHAPE(4, 8),
    PEDAL_CONV_SHAPE(20, 40), PEDAL_CONV_SHAPE(20, 20), PEDAL_CONV_SHAPE(24, 48), PEDAL_CONV_SHAPE(24, 24),
    PEDAL_CONV_SHAPE(32, 64), PEDAL_CONV_SHAPE(32, 32), PEDAL_CONV_SHAPE(10, 20), PEDAL_CONV_SHAPE(6, 12),
    // NAM A2 Lite (3 channels; A2 Full's 8 channels are above)
    PEDAL_CONV_SHAPE(1, 3), PEDAL_CONV_SHAPE(3, 3), PEDAL_CONV_SHAPE(3, 1),
    // RTNeural dense heads after a recurrent layer (AIDA-X, NeuralPi/Proteus hidden sizes)
    PEDAL_DENSE_HEAD(12), PEDAL_DENSE_HEAD(16), PEDAL_DENSE_HEAD(20), PEDAL_DENSE_HEAD(24), PEDAL_DENSE_HEAD(32),
    PEDAL_DENSE_HEAD(40), PEDAL_DENSE_HEAD(64),
};
#undef PEDAL_CONV_SHAPE
#undef PEDAL_DENSE_HEAD

}  // namespace

ConvKernel select_conv_kernel(std::size_t in_channels, std::size_t out_channels) {
    for (const Entry &entry : kFixedShapes)
        if (entry.in == in_channels && entry.out == out_channels) return entry.kernel;
    return &conv_generic;
}

}  // namespace pedal::layers
