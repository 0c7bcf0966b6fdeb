#include "layers/conv_kernels.h"

namespace pedal::layers {

namespace {

struct Entry {
    std::size_t in, out;
    ConvKernel kernel;
};

// Shapes found in published captures: WaveNetVA/PedalNetRT convs (C -> 2C gated,
// C -> C residual) and NAM A1 presets (standard 16/8, lite 12/6, feather 8/4:
// C -> C convs and 1x1s, input mixins 1 -> C, head rechannels C -> C/2).
// Only output widths that are whole vectors on every target (multiples of 8)
// or of the narrow targets (multiples of 4) are listed for that target; the
// rest (nano's 2 channels, C=5 captures, ...) use conv_generic.
#define PEDAL_CONV_SHAPE(in, out) {in, out, &conv_fixed<in, out>}
const Entry kFixedShapes[] = {
    PEDAL_CONV_SHAPE(16, 32), PEDAL_CONV_SHAPE(16, 16), PEDAL_CONV_SHAPE(16, 8),  PEDAL_CONV_SHAPE(1, 16),
    PEDAL_CONV_SHAPE(12, 24), PEDAL_CONV_SHAPE(8, 16),  PEDAL_CONV_SHAPE(8, 8),   PEDAL_CONV_SHAPE(1, 8),
    PEDAL_CONV_SHAPE(4, 8),   PEDAL_CONV_SHAPE(20, 40), PEDAL_CONV_SHAPE(24, 48), PEDAL_CONV_SHAPE(24, 24),
    PEDAL_CONV_SHAPE(32, 64), PEDAL_CONV_SHAPE(32, 32),
#if !defined(__AVX__)
    PEDAL_CONV_SHAPE(12, 12), PEDAL_CONV_SHAPE(1, 12),  PEDAL_CONV_SHAPE(8, 4),   PEDAL_CONV_SHAPE(4, 4),
    PEDAL_CONV_SHAPE(1, 4),   PEDAL_CONV_SHAPE(6, 12),  PEDAL_CONV_SHAPE(10, 20), PEDAL_CONV_SHAPE(20, 20),
#endif
};
#undef PEDAL_CONV_SHAPE

}  // namespace

ConvKernel select_conv_kernel(std::size_t in_channels, std::size_t out_channels) {
    for (const Entry &entry : kFixedShapes)
        if (entry.in == in_channels && entry.out == out_channels) return entry.kernel;
    return &conv_generic;
}

}  // namespace pedal::layers
